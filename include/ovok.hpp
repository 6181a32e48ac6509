/*
 * ovok.hpp: the C++17 layer over ovok.h. Header-only and written by hand: it
 * adds no behaviour of its own, only ownership, std::string and exceptions.
 *
 *   ovok::LoginResult r = ovok::login(base_url, email, password, client_id);
 *   // base_url "" = Ovok's sandbox; throws ovok::Error on failure
 *
 * Ownership. ovok::Client, ovok::ClientBuilder and ovok::Session own their C
 * objects and are move-only. A moved-from object may be destroyed or assigned to; any other
 * call on it fails with OVOK_STATUS_INVALID_ARGUMENT. Every C OvokResult is
 * freed (and its tokens zeroized) before a call returns or throws.
 *
 * Errors. With exceptions, failures throw ovok::Error (a std::runtime_error
 * carrying the C status and the HTTP status). Every call also has a try_
 * form that returns ovok::Expected<T> and never throws; built with
 * -fno-exceptions, only the try_ forms exist.
 *
 * Strings. Arguments are std::string. One holding a NUL byte is refused with
 * OVOK_STATUS_INVALID_ARGUMENT: a C string would end there, and the call would
 * silently use a different value. Results are UTF-8 std::strings.
 *
 * Secrets. The library wipes every buffer of its own that held a password or
 * a token. The std::string copies that this header returns (access_token,
 * refresh_token) and the std::string arguments you pass (password) are yours:
 * std::string cannot be wiped reliably (short strings live inside the object,
 * growing one leaves copies behind), so keep them short-lived and do not log
 * them. Nothing here prints a token: what() never holds one, and operator<<
 * on a result shows only its length.
 *
 * Threads. A Client's functions and a Session's (except assignment and
 * destruction) may be called from many threads at once; a ClientBuilder is
 * used from one thread at a time.
 */
#ifndef OVOK_HPP
#define OVOK_HPP

#if __cplusplus < 201703L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 201703L)
#error "ovok.hpp needs C++17 or later; include ovok.h from older C++"
#endif

#include "ovok.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

/* 1 when the throwing API is available: the compiler has exceptions on and
 * OVOK_HPP_NO_EXCEPTIONS is not defined. */
#if defined(OVOK_HPP_NO_EXCEPTIONS)
#define OVOK_HPP_EXCEPTIONS 0
#elif defined(__cpp_exceptions) || defined(_CPPUNWIND)
#define OVOK_HPP_EXCEPTIONS 1
#else
#define OVOK_HPP_EXCEPTIONS 0
#endif

namespace ovok {

/* The C status, whichever way ovok.h spells it (an enum or a fixed-width integer). */
using Status = OvokStatus;

/* The library version, e.g. "0.1.0". */
inline std::string_view version() noexcept { return ovok_version(); }

/* A status's name, e.g. "OVOK_STATUS_UNAUTHORIZED"; "OVOK_STATUS_UNKNOWN" when out of range. */
inline std::string_view status_name(Status status) noexcept { return ovok_status_name(status); }

/* A FHIR-style reference with its display name, e.g. {"Patient/de5c...", "Max Mustermann"}. */
struct Reference {
  std::string reference;
  std::string display;
};

/* The tokens of a login or a refresh. */
struct TokenResult {
  std::string access_token;                  /* the bearer token (a JWT) */
  std::optional<std::string> refresh_token;  /* empty when the server sent none */
  std::optional<std::chrono::seconds> expires_in;
  /* When the access token expires: the server's expiresIn from the moment the
   * response arrived, else the token's own exp claim (advisory); empty when neither is known. */
  std::optional<std::chrono::system_clock::time_point> expires_at;
};

/* What a successful login gives: the tokens, the project and the user's profile. */
struct LoginResult : TokenResult {
  Reference project;
  Reference profile;
};

/* A failed call: the C status, the HTTP status (0 when no response arrived) and
 * a message that is safe to log (it never holds a password or a token). */
class Error : public std::runtime_error {
 public:
  Error(Status status, std::uint16_t http_status, const std::string& message)
      : std::runtime_error(describe(status, http_status, message)),
        status_(status),
        http_status_(http_status),
        message_offset_(describe(status, http_status, std::string()).size()) {}

  Status status() const noexcept { return status_; }
  std::uint16_t http_status() const noexcept { return http_status_; }
  std::string_view status_name() const noexcept { return ovok::status_name(status_); }
  /* The message alone; what() is "OVOK_STATUS_NAME (HTTP n): message". */
  std::string_view message() const noexcept { return std::string_view(what()).substr(message_offset_); }

 private:
  static std::string describe(Status status, std::uint16_t http_status, const std::string& message) {
    std::string text(ovok_status_name(status));
    if (http_status != 0) {
      text += " (HTTP " + std::to_string(http_status) + ")";
    }
    return text + ": " + message;
  }

  Status status_;
  std::uint16_t http_status_;
  std::size_t message_offset_;
};

/* A value or the Error that prevented it; what the try_ functions return.
 * value(), operator* and operator-> on an error throw it (or, built without
 * exceptions, abort); error() on a value aborts. */
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Expected(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  /* OVOK_STATUS_OK for a value, else the error's status. */
  Status status() const noexcept { return has_value() ? Status(OVOK_STATUS_OK) : error().status(); }

  T& value() & { return checked(); }
  const T& value() const& { return const_cast<Expected*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T& operator*() & { return checked(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &value(); }

  const Error& error() const noexcept {
    const Error* error = std::get_if<1>(&state_);
    if (error == nullptr) {
      std::abort(); /* error() on a value is a bug in the caller */
    }
    return *error;
  }

 private:
  T& checked() {
    if (T* value = std::get_if<0>(&state_)) {
      return *value;
    }
#if OVOK_HPP_EXCEPTIONS
    throw error();
#else
    std::abort();
#endif
  }

  std::variant<T, Error> state_;
};

/* The outcome of a call that gives nothing back but may fail. */
template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)) {}

  bool has_value() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  Status status() const noexcept { return error_ ? error_->status() : Status(OVOK_STATUS_OK); }
  /* Throws the error (or, built without exceptions, aborts); nothing on success. */
  void value() const {
    if (error_) {
#if OVOK_HPP_EXCEPTIONS
      throw *error_;
#else
      std::abort();
#endif
    }
  }
  const Error& error() const noexcept {
    if (!error_) {
      std::abort(); /* error() on a success is a bug in the caller */
    }
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

/* Results print without their tokens: only whether each is there and its length. */
inline std::ostream& operator<<(std::ostream& out, const Reference& reference) {
  return out << reference.display << " (" << reference.reference << ")";
}

inline std::ostream& operator<<(std::ostream& out, const TokenResult& tokens) {
  out << "access token (" << tokens.access_token.size() << " chars, redacted), ";
  if (tokens.refresh_token) {
    out << "refresh token (" << tokens.refresh_token->size() << " chars, redacted), ";
  } else {
    out << "no refresh token, ";
  }
  if (tokens.expires_at) {
    out << "expires at " << std::chrono::system_clock::to_time_t(*tokens.expires_at);
  } else {
    out << "expiry unknown";
  }
  return out;
}

inline std::ostream& operator<<(std::ostream& out, const LoginResult& login) {
  return out << "profile " << login.profile << ", project " << login.project << ", "
             << static_cast<const TokenResult&>(login);
}

inline std::ostream& operator<<(std::ostream& out, const Error& error) { return out << error.what(); }

namespace detail {

struct FreeResult {
  void operator()(OvokResult* result) const noexcept { ovok_result_free(result); }
};
struct FreeClient {
  void operator()(OvokClient* client) const noexcept { ovok_client_free(client); }
};
struct FreeBuilder {
  void operator()(OvokClientBuilder* builder) const noexcept { ovok_client_builder_free(builder); }
};
struct FreeSession {
  void operator()(OvokSession* session) const noexcept { ovok_session_free(session); }
};
using ResultPtr = std::unique_ptr<OvokResult, FreeResult>;

inline Error invalid_argument(const std::string& message) {
  return Error(Status(OVOK_STATUS_INVALID_ARGUMENT), 0, message);
}

struct Argument {
  const char* name;
  const std::string* value;
};

/* The first argument that a C string cannot carry; never shows the value. */
inline std::optional<Error> reject_nul(std::initializer_list<Argument> arguments) {
  for (const Argument& argument : arguments) {
    if (argument.value->find('\0') != std::string::npos) {
      return invalid_argument(std::string(argument.name) +
                              " contains a NUL byte, which a C string cannot carry");
    }
  }
  return std::nullopt;
}

inline std::string text(const char* value) { return value != nullptr ? std::string(value) : std::string(); }

inline std::optional<std::string> optional_text(const char* value) {
  return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
}

inline std::optional<std::chrono::seconds> optional_seconds(std::int64_t value) {
  return value >= 0 ? std::optional<std::chrono::seconds>(value) : std::nullopt;
}

inline std::optional<std::chrono::system_clock::time_point> optional_time(std::int64_t unix_seconds) {
  if (unix_seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(unix_seconds)));
}

/* The Error of a failed result, or nothing when it succeeded. */
inline std::optional<Error> failure(const OvokResult* result) {
  if (result == nullptr) {
    return Error(Status(OVOK_STATUS_INTERNAL), 0, "the library returned no result");
  }
  if (result->status != OVOK_STATUS_OK) {
    return Error(result->status, result->http_status, text(result->error_message));
  }
  return std::nullopt;
}

inline TokenResult tokens_of(const OvokResult& result) {
  TokenResult tokens;
  tokens.access_token = text(result.access_token);
  tokens.refresh_token = optional_text(result.refresh_token);
  tokens.expires_in = optional_seconds(result.expires_in);
  tokens.expires_at = optional_time(result.expires_at);
  return tokens;
}

inline Expected<TokenResult> to_tokens(ResultPtr result) {
  if (std::optional<Error> error = failure(result.get())) {
    return *std::move(error);
  }
  return tokens_of(*result);
}

/* A result that carries no tokens (a logout): only whether it succeeded. */
inline Expected<void> to_outcome(ResultPtr result) {
  if (std::optional<Error> error = failure(result.get())) {
    return *std::move(error);
  }
  return {};
}

inline Expected<LoginResult> to_login(ResultPtr result) {
  if (std::optional<Error> error = failure(result.get())) {
    return *std::move(error);
  }
  LoginResult login;
  static_cast<TokenResult&>(login) = tokens_of(*result);
  login.project = {text(result->project_reference), text(result->project_display)};
  login.profile = {text(result->profile_reference), text(result->profile_display)};
  return login;
}

/* call(base_url, email, password, client_id) returns the C result. */
template <class Call>
Expected<LoginResult> login_through(Call call, const std::string& base_url, const std::string& email,
                                    const std::string& password, const std::string& client_id) {
  if (std::optional<Error> error = reject_nul(
          {{"base_url", &base_url}, {"email", &email}, {"password", &password}, {"client_id", &client_id}})) {
    return *std::move(error);
  }
  return to_login(ResultPtr(call(base_url.c_str(), email.c_str(), password.c_str(), client_id.c_str())));
}

/* call(base_url, refresh_token) returns the C result. */
template <class Call>
Expected<TokenResult> refresh_through(Call call, const std::string& base_url, const std::string& refresh_token) {
  if (std::optional<Error> error = reject_nul({{"base_url", &base_url}, {"refresh_token", &refresh_token}})) {
    return *std::move(error);
  }
  return to_tokens(ResultPtr(call(base_url.c_str(), refresh_token.c_str())));
}

/* A duration in milliseconds for the C builder, clamped to uint32_t so that
 * the library refuses an out-of-range value with its own message. */
inline std::uint32_t clamp_milliseconds(std::chrono::milliseconds duration) noexcept {
  if (duration.count() < 0) {
    return 0;
  }
  if (duration.count() > static_cast<std::int64_t>(std::numeric_limits<std::uint32_t>::max())) {
    return std::numeric_limits<std::uint32_t>::max();
  }
  return static_cast<std::uint32_t>(duration.count());
}

}  // namespace detail

/* Logs in with POST {base_url}/v2/auth/login through the shared default client.
 * base_url "" means Ovok's sandbox; see ovok_login in ovok.h for the rules. */
inline Expected<LoginResult> try_login(const std::string& base_url, const std::string& email,
                                       const std::string& password, const std::string& client_id) {
  return detail::login_through(
      [](const char* url, const char* e, const char* p, const char* c) { return ovok_login(url, e, p, c); },
      base_url, email, password, client_id);
}

/* Exchanges a refresh token for new tokens (POST {base_url}/auth/refresh-token).
 * The refresh token rotates: keep the result's refresh_token, the old one is spent. */
inline Expected<TokenResult> try_refresh(const std::string& base_url, const std::string& refresh_token) {
  return detail::refresh_through([](const char* url, const char* token) { return ovok_refresh(url, token); },
                                 base_url, refresh_token);
}

#if OVOK_HPP_EXCEPTIONS
/* try_login, throwing ovok::Error on failure. */
inline LoginResult login(const std::string& base_url, const std::string& email, const std::string& password,
                         const std::string& client_id) {
  return try_login(base_url, email, password, client_id).value();
}

/* try_refresh, throwing ovok::Error on failure. */
inline TokenResult refresh(const std::string& base_url, const std::string& refresh_token) {
  return try_refresh(base_url, refresh_token).value();
}
#endif

class Client;

/* Collects a Client's settings (see OvokClientBuilder in ovok.h for each one's
 * rules and default). Setters chain; a refused value leaves the setting as it
 * was, and the first refusal is what build() throws or try_build() returns. */
class ClientBuilder {
 public:
  ClientBuilder() : builder_(ovok_client_builder_new()) {}

  ClientBuilder& connect_timeout(std::chrono::milliseconds timeout) {
    return apply("connect_timeout",
                 ovok_client_builder_set_connect_timeout_ms(builder_.get(), detail::clamp_milliseconds(timeout)));
  }
  ClientBuilder& total_timeout(std::chrono::milliseconds timeout) {
    return apply("total_timeout",
                 ovok_client_builder_set_total_timeout_ms(builder_.get(), detail::clamp_milliseconds(timeout)));
  }
  /* true: the operating system's certificates; false: the bundled Mozilla roots. */
  ClientBuilder& platform_trust(bool use_platform) {
    return apply("platform_trust", ovok_client_builder_set_platform_trust(builder_.get(), use_platform));
  }
  ClientBuilder& add_ca_file(const std::string& path) {
    if (refuse_nul("add_ca_file", "path", path)) {
      return *this;
    }
    return apply("add_ca_file", ovok_client_builder_add_ca_file(builder_.get(), path.c_str()));
  }
  ClientBuilder& add_ca_pem(std::string_view pem) {
    return apply("add_ca_pem", ovok_client_builder_add_ca_pem(
                                   builder_.get(), reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()));
  }
  /* http://[user:password@]host:port; "" returns to the environment's proxy settings. */
  ClientBuilder& proxy(const std::string& proxy_url) {
    if (refuse_nul("proxy", "proxy_url", proxy_url)) {
      return *this;
    }
    return apply("proxy", ovok_client_builder_set_proxy(builder_.get(), proxy_url.c_str()));
  }
  ClientBuilder& proxy_from_env(bool honour) {
    return apply("proxy_from_env", ovok_client_builder_set_proxy_from_env(builder_.get(), honour));
  }
  ClientBuilder& user_agent_suffix(const std::string& suffix) {
    if (refuse_nul("user_agent_suffix", "suffix", suffix)) {
      return *this;
    }
    return apply("user_agent_suffix", ovok_client_builder_set_user_agent_suffix(builder_.get(), suffix.c_str()));
  }

  /* A client with these settings, or the first refused setting. The builder
   * stays usable and can build more clients. */
  Expected<Client> try_build();
#if OVOK_HPP_EXCEPTIONS
  Client build();
#endif

 private:
  ClientBuilder& apply(const char* setting, Status status) {
    if (status != OVOK_STATUS_OK && !first_error_) {
      const char* why = builder_ ? ovok_client_builder_last_error(builder_.get()) : "the builder was moved from";
      first_error_ = Error(status, 0, std::string(setting) + ": " + (why != nullptr ? why : "refused"));
    }
    return *this;
  }
  bool refuse_nul(const char* setting, const char* name, const std::string& value) {
    std::optional<Error> error = detail::reject_nul({{name, &value}});
    if (error && !first_error_) {
      first_error_ = detail::invalid_argument(std::string(setting) + ": " + std::string(error->message()));
    }
    return error.has_value();
  }

  std::unique_ptr<OvokClientBuilder, detail::FreeBuilder> builder_;
  std::optional<Error> first_error_;
};

/* A configured client with its own connection pool, shared by every thread
 * that uses it. Build it with ovok::Client::Builder. */
class Client {
 public:
  using Builder = ClientBuilder;

  Client(Client&&) noexcept = default;
  Client& operator=(Client&&) noexcept = default;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() = default;

  Expected<LoginResult> try_login(const std::string& base_url, const std::string& email,
                                  const std::string& password, const std::string& client_id) const {
    const OvokClient* client = client_.get();
    return detail::login_through(
        [client](const char* url, const char* e, const char* p, const char* c) {
          return ovok_client_login(client, url, e, p, c);
        },
        base_url, email, password, client_id);
  }
  Expected<TokenResult> try_refresh(const std::string& base_url, const std::string& refresh_token) const {
    const OvokClient* client = client_.get();
    return detail::refresh_through(
        [client](const char* url, const char* token) { return ovok_client_refresh(client, url, token); }, base_url,
        refresh_token);
  }
#if OVOK_HPP_EXCEPTIONS
  LoginResult login(const std::string& base_url, const std::string& email, const std::string& password,
                    const std::string& client_id) const {
    return try_login(base_url, email, password, client_id).value();
  }
  TokenResult refresh(const std::string& base_url, const std::string& refresh_token) const {
    return try_refresh(base_url, refresh_token).value();
  }
#endif

  /* The C client, for calls that take one; NULL once moved from. Still owned by this object. */
  const OvokClient* get() const noexcept { return client_.get(); }

 private:
  friend class ClientBuilder;
  explicit Client(OvokClient* client) noexcept : client_(client) {}

  std::unique_ptr<OvokClient, detail::FreeClient> client_;
};

inline Expected<Client> ClientBuilder::try_build() {
  if (first_error_) {
    return *first_error_;
  }
  OvokClient* client = nullptr;
  Status status = ovok_client_build(builder_.get(), &client);
  if (status != OVOK_STATUS_OK || client == nullptr) {
    const char* why = builder_ ? ovok_client_builder_last_error(builder_.get()) : "the builder was moved from";
    return Error(status, 0, std::string("build: ") + (why != nullptr ? why : "refused"));
  }
  return Client(client);
}

#if OVOK_HPP_EXCEPTIONS
inline Client ClientBuilder::build() { return try_build().value(); }
#endif

/* The tokens that a Session's listener is given. */
using Tokens = TokenResult;
/* Called with the new tokens after every change (login, refresh), or with
 * std::nullopt when they were cleared (logout, a refused refresh). */
using TokenListener = std::function<void(const std::optional<Tokens>&)>;

namespace detail {

/* The listener of one session, where the C library's callback finds it. It
 * lives on the heap for the session's lifetime, so moving a Session never
 * moves what the C side points to. */
class ListenerSlot {
 public:
  void set(TokenListener listener) {
    std::lock_guard<std::mutex> lock(mutex_);
    listener_ = std::make_shared<const TokenListener>(std::move(listener));
  }

  /* The C callback. An exception thrown by the listener must not unwind
   * through the library's frames: it is caught here and dropped, since the
   * tokens have changed either way. */
  static void call(void* context, const OvokResult* tokens) noexcept {
    ListenerSlot* slot = static_cast<ListenerSlot*>(context);
    std::shared_ptr<const TokenListener> listener;
    {
      std::lock_guard<std::mutex> lock(slot->mutex_);
      listener = slot->listener_;
    }
    if (!listener || !*listener) {
      return;
    }
#if OVOK_HPP_EXCEPTIONS
    try {
#endif
      (*listener)(tokens != nullptr ? std::optional<Tokens>(tokens_of(*tokens)) : std::nullopt);
#if OVOK_HPP_EXCEPTIONS
    } catch (...) {
    }
#endif
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<const TokenListener> listener_;
};

}  // namespace detail

/* A user's tokens, kept fresh (see OvokSession in ovok.h): log in, or restore
 * tokens saved earlier, then ask access_token() before each API call. Concurrent
 * callers share one refresh. The session never keeps the password; the
 * listener (on_tokens) is how an app saves the tokens it should restore. */
class Session {
 public:
  /* A signed-out session on the shared default client; base_url "" is the sandbox.
   * An invalid base URL makes every call fail with OVOK_STATUS_INVALID_ARGUMENT. */
  explicit Session(const std::string& base_url = std::string()) : Session(nullptr, base_url) {}
  /* A signed-out session on a configured client, which it keeps alive. A
   * moved-from client makes every call fail with OVOK_STATUS_INVALID_ARGUMENT. */
  Session(const Client& client, const std::string& base_url) : Session(client.get(), base_url) {
    if (client.get() == nullptr && !invalid_) {
      invalid_ = detail::invalid_argument("the session's client was moved from");
    }
  }

  Session(Session&&) noexcept = default;
  Session& operator=(Session&& other) noexcept {
    if (this != &other) {
      session_ = std::move(other.session_);  // the old C session goes before its listener
      listener_ = std::move(other.listener_);
      invalid_ = std::move(other.invalid_);
    }
    return *this;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() = default;  // the C session (declared last) is freed before the listener

  Expected<LoginResult> try_login(const std::string& email, const std::string& password,
                                  const std::string& client_id) {
    if (invalid_) {
      return *invalid_;
    }
    OvokSession* session = get();
    return detail::login_through(
        [session](const char*, const char* e, const char* p, const char* c) {
          return ovok_session_login(session, e, p, c);
        },
        std::string(), email, password, client_id);
  }

  /* Adopts tokens saved earlier. Without an access token or its expiry, the
   * next access_token() refreshes first. The listener is not called. */
  Expected<void> try_restore(const std::string& refresh_token,
                             const std::optional<std::string>& access_token = std::nullopt,
                             std::optional<std::chrono::system_clock::time_point> expires_at = std::nullopt) {
    if (invalid_) {
      return *invalid_;
    }
    const std::string no_access_token;
    if (std::optional<Error> error = detail::reject_nul(
            {{"refresh_token", &refresh_token}, {"access_token", access_token ? &*access_token : &no_access_token}})) {
      return *std::move(error);
    }
    std::int64_t expiry = -1;
    if (expires_at) {
      expiry = std::chrono::duration_cast<std::chrono::seconds>(expires_at->time_since_epoch()).count();
    }
    Status status = ovok_session_restore(get(), refresh_token.c_str(),
                                         access_token ? access_token->c_str() : nullptr, expiry);
    if (status != OVOK_STATUS_OK) {
      return Error(status, 0,
                   session_ ? "restore: the library refused the saved tokens (empty, over-long or not UTF-8)"
                            : "restore: the session was moved from");
    }
    return {};
  }

  /* An access token valid for at least min_ttl, refreshing first when needed.
   * OVOK_STATUS_LOGIN_REQUIRED: log in again. Other failures (offline, a
   * timeout, 5xx) keep the tokens for a later try. */
  Expected<TokenResult> try_access_token(std::chrono::seconds min_ttl = std::chrono::seconds(60)) {
    if (invalid_) {
      return *invalid_;
    }
    return detail::to_tokens(detail::ResultPtr(ovok_session_access_token(get(), min_ttl.count())));
  }

  /* The API answered 401: the next access_token() refreshes. Pass the token
   * the API rejected: it is marked stale only while it is still the current
   * one, so a token another thread has renewed since is left alone, and many
   * threads rejected with one token cause one refresh. Without a token, the
   * current one is marked stale. A token holding a NUL byte was never handed
   * out, so it changes nothing (no error: this call cannot fail). */
  void invalidate(const std::optional<std::string>& rejected = std::nullopt) noexcept {
    if (!rejected) {
      ovok_session_invalidate(get());
    } else if (rejected->find('\0') == std::string::npos) {
      ovok_session_invalidate_token(get(), rejected->c_str());
    }
  }

  /* Clears the tokens here first, always (the listener hears it), then asks the
   * server to revoke them; a failure says only that the server did not confirm it. */
  Expected<void> try_logout() {
    if (invalid_) {
      return *invalid_;
    }
    return detail::to_outcome(detail::ResultPtr(ovok_session_logout(get())));
  }

#if OVOK_HPP_EXCEPTIONS
  LoginResult login(const std::string& email, const std::string& password, const std::string& client_id) {
    return try_login(email, password, client_id).value();
  }
  void restore(const std::string& refresh_token, const std::optional<std::string>& access_token = std::nullopt,
               std::optional<std::chrono::system_clock::time_point> expires_at = std::nullopt) {
    try_restore(refresh_token, access_token, expires_at).value();
  }
  TokenResult access_token(std::chrono::seconds min_ttl = std::chrono::seconds(60)) {
    return try_access_token(min_ttl).value();
  }
  void logout() { try_logout().value(); }
#endif

  /* Sets the listener (an empty std::function removes it). It is called on the
   * thread that changed the tokens, one call at a time, with no lock held, so it
   * may call back into the session; an exception it throws is caught and dropped. */
  void on_tokens(TokenListener listener) {
    if (!session_) {
      return;
    }
    if (!listener_) {
      listener_ = std::make_unique<detail::ListenerSlot>();
      listener_->set(std::move(listener));
      ovok_session_set_token_listener(session_.get(), &detail::ListenerSlot::call, listener_.get());
    } else {
      listener_->set(std::move(listener));
    }
  }

  /* The C session; NULL once moved from. Still owned by this object. */
  OvokSession* get() const noexcept { return session_.get(); }

 private:
  Session(const OvokClient* client, const std::string& base_url) {
    if (std::optional<Error> error = detail::reject_nul({{"base_url", &base_url}})) {
      invalid_ = std::move(error);
      session_.reset(ovok_session_new(client, nullptr));
    } else {
      session_.reset(ovok_session_new(client, base_url.c_str()));
    }
  }

  std::unique_ptr<detail::ListenerSlot> listener_;
  std::optional<Error> invalid_;  // a base URL that C cannot be given: every call fails with this
  std::unique_ptr<OvokSession, detail::FreeSession> session_;
};

}  // namespace ovok

#endif /* OVOK_HPP */
