// The C++17 layer (include/ovok.hpp) against the emulator: results, every
// status as an ovok::Error with its HTTP status, NUL bytes, the client builder,
// sessions and their listener, move semantics and many threads.
//
//   test_cpp BASE_URL
//
// BASE_URL is the emulator's http URL (scripts/with-emulator.sh passes it).
// The statuses that the emulator never gives (400, 5xx, other HTTP errors, a
// body that is not JSON, a timeout, a TLS failure) come from a canned server
// in this process on a loopback port. Built with -DOVOK_TEST_HOOKS against the
// library's test-hooks build, it also checks OVOK_STATUS_INTERNAL.
//
// Built by g++ and clang++ with -std=c++17 -Wall -Wextra -Wpedantic -Werror,
// and run under valgrind and under ASan/UBSan.
#include "ovok.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "check.h"

namespace {

using namespace std::chrono_literals;

std::string base_url;

const std::string kProject = "Project/f6f4da8d-93e8-8a08-220e-03b7810451d3";
const std::string kProfile = "Patient/de5c57ff-7257-57b0-13ab-aab6f5f91498";

bool includes(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- a canned HTTP server on a loopback port ---------------------------------

// Answers every connection with the same bytes: after reading a whole request
// (head and Content-Length body), or at once for a client that does not speak
// HTTP (a TLS handshake). An empty reply never answers: the connection stays
// open until the client gives up.
class CannedServer {
 public:
  enum class When { AfterRequest, AtOnce };

  explicit CannedServer(std::string reply, When when = When::AfterRequest)
      : reply_(std::move(reply)), when_(when) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(listener_, 16) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      std::perror("canned server");
      std::exit(2);
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  CannedServer(const CannedServer&) = delete;
  CannedServer& operator=(const CannedServer&) = delete;
  ~CannedServer() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);  // wakes the blocked accept()
    thread_.join();
    close(listener_);
  }

  std::string url(const char* scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_);
  }

 private:
  void serve() {
    while (!stopping_) {
      int connection = accept(listener_, nullptr, nullptr);
      if (connection < 0) {
        continue;  // shut down (the loop ends) or interrupted
      }
      answer(connection);
      close(connection);
    }
  }

  void answer(int connection) const {
    std::string request;
    char buffer[4096];
    bool answered = false;
    for (;;) {
      if (!answered && when_ == When::AtOnce && !request.empty()) {
        answered = send_reply(connection);
      }
      if (!answered && when_ == When::AfterRequest && whole_request(request)) {
        answered = send_reply(connection);
      }
      // Reading to the end (the client closes) before closing never resets the
      // connection under a reply that the client has not read yet.
      ssize_t got = recv(connection, buffer, sizeof buffer, 0);
      if (got <= 0) {
        return;
      }
      request.append(buffer, static_cast<std::size_t>(got));
    }
  }

  bool send_reply(int connection) const {
    if (reply_.empty()) {
      return true;  // never answer
    }
    std::size_t sent = 0;
    while (sent < reply_.size()) {
      ssize_t wrote = send(connection, reply_.data() + sent, reply_.size() - sent, MSG_NOSIGNAL);
      if (wrote <= 0) {
        return true;
      }
      sent += static_cast<std::size_t>(wrote);
    }
    shutdown(connection, SHUT_WR);
    return true;
  }

  static bool whole_request(const std::string& request) {
    std::size_t head_end = request.find("\r\n\r\n");
    if (head_end == std::string::npos) {
      return false;
    }
    std::size_t body = 0;
    std::size_t field = request.find("Content-Length:");
    if (field == std::string::npos) {
      field = request.find("content-length:");
    }
    if (field != std::string::npos && field < head_end) {
      body = std::strtoul(request.c_str() + field + std::strlen("Content-Length:"), nullptr, 10);
    }
    return request.size() >= head_end + 4 + body;
  }

  std::string reply_;
  When when_;
  int listener_ = -1;
  unsigned port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

std::string http_reply(const std::string& status_line, const std::string& content_type, const std::string& body) {
  return "HTTP/1.1 " + status_line + "\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

std::string nest_error(int status, const std::string& message, const std::string& error) {
  return http_reply(std::to_string(status) + " " + error, "application/json; charset=utf-8",
                    "{\"statusCode\":" + std::to_string(status) + ",\"message\":\"" + message +
                        "\",\"error\":\"" + error + "\"}");
}

// ---- checks shared by the cases ------------------------------------------------

// A failure: the status, the HTTP status, a message containing `part`, what()
// built from them, and never the password.
void check_error(const ovok::Error& error, ovok::Status status, unsigned http_status, const std::string& part,
                 const char* label) {
  const std::string what = error.what();
  bool ok = error.status() == status && error.http_status() == http_status && includes(what, part) &&
            includes(what, std::string(ovok::status_name(status))) && !includes(what, PASSWORD) &&
            error.status_name() == ovok::status_name(status) && includes(what, std::string(error.message()));
  CHECK(ok);
  if (!ok) {
    std::fprintf(stderr, "  [%s] wanted %s (HTTP %u) with \"%s\"; got %s (HTTP %u): %s\n", label,
                 std::string(ovok::status_name(status)).c_str(), http_status, part.c_str(),
                 std::string(error.status_name()).c_str(), static_cast<unsigned>(error.http_status()),
                 what.c_str());
  }
}

template <class T>
void check_failed(const ovok::Expected<T>& result, ovok::Status status, unsigned http_status,
                  const std::string& part, const char* label) {
  CHECK(!result && !result.has_value() && result.status() == status);
  if (result) {
    std::fprintf(stderr, "  [%s] succeeded, wanted %s\n", label, std::string(ovok::status_name(status)).c_str());
    return;
  }
  check_error(result.error(), status, http_status, part, label);
}

// The throwing form: throws ovok::Error, which is a std::runtime_error.
template <class Call>
void check_throws(Call call, ovok::Status status, unsigned http_status, const std::string& part,
                  const char* label) {
  try {
    call();
    const bool threw = false;
    CHECK(threw);
    std::fprintf(stderr, "  [%s] did not throw\n", label);
  } catch (const ovok::Error& error) {
    check_error(error, status, http_status, part, label);
  }
  try {
    call();
  } catch (const std::runtime_error& error) {
    CHECK(includes(error.what(), std::string(ovok::status_name(status))));
  }
}

void check_demo_login(const ovok::LoginResult& r) {
  CHECK(r.access_token.size() > 20 && r.access_token.compare(0, 3, "eyJ") == 0);
  CHECK(r.refresh_token.has_value() && !r.refresh_token->empty() && *r.refresh_token != r.access_token);
  CHECK(r.expires_in == std::chrono::seconds(3600));
  CHECK(r.project.reference == kProject && r.project.display == "My Medical Project");
  CHECK(r.profile.reference == kProfile && r.profile.display == "Max Mustermann");
}

// ---- the cases --------------------------------------------------------------------

void test_version() {
  CHECK(ovok::version() == OVOK_EXPECTED_VERSION);
  CHECK(ovok::status_name(OVOK_STATUS_UNAUTHORIZED) == "OVOK_STATUS_UNAUTHORIZED");
  static_assert(std::is_same_v<ovok::Status, OvokStatus>);
  static_assert(std::is_base_of_v<std::runtime_error, ovok::Error>);
  static_assert(std::is_same_v<decltype(ovok::LoginResult::access_token), std::string>);
  static_assert(std::is_same_v<decltype(ovok::LoginResult::refresh_token), std::optional<std::string>>);
  static_assert(std::is_same_v<decltype(ovok::LoginResult::expires_at),
                               std::optional<std::chrono::system_clock::time_point>>);
}

void test_login_and_refresh() {
  const auto before = std::chrono::system_clock::now();
  ovok::LoginResult r = ovok::login(base_url, EMAIL, PASSWORD, CLIENT_ID);
  const auto after = std::chrono::system_clock::now();
  check_demo_login(r);
  // expires_at is the arrival time plus expiresIn, in whole seconds.
  CHECK(r.expires_at.has_value() && *r.expires_at >= before + 3600s - 1s && *r.expires_at <= after + 3600s + 1s);

  ovok::TokenResult next = ovok::refresh(base_url, *r.refresh_token);
  CHECK(!next.access_token.empty() && next.access_token != r.access_token);
  CHECK(next.refresh_token.has_value() && *next.refresh_token != *r.refresh_token);
  CHECK(next.expires_at.has_value() && next.expires_in == std::chrono::seconds(3600));
  // The spent refresh token is refused: refresh tokens rotate.
  check_throws([&] { (void)ovok::refresh(base_url, *r.refresh_token); }, OVOK_STATUS_UNAUTHORIZED, 401,
               "Invalid refresh token", "spent refresh token");

  // A trailing slash is fine; the sandbox default ("") is not contacted here.
  CHECK(ovok::try_login(base_url + "/", EMAIL, PASSWORD, CLIENT_ID).has_value());
}

void test_emulator_errors() {
  check_throws([] { (void)ovok::login(base_url, EMAIL, "wrong-password", CLIENT_ID); }, OVOK_STATUS_UNAUTHORIZED,
               401, "Invalid email or password", "wrong password");
  check_throws([] { (void)ovok::login(base_url, EMAIL, PASSWORD, "11111111-2222-4333-8444-555555555555"); },
               OVOK_STATUS_NOT_FOUND, 404, "Client application not found", "unknown client");
  check_throws([] { (void)ovok::login(base_url + "/elsewhere", EMAIL, PASSWORD, CLIENT_ID); },
               OVOK_STATUS_NOT_FOUND, 404, "Cannot POST", "wrong path");
  check_throws([] { (void)ovok::login(base_url, "not-an-email", PASSWORD, CLIENT_ID); },
               OVOK_STATUS_UNPROCESSABLE, 422, "email must be an email", "bad email");
  check_failed(ovok::try_login(base_url, EMAIL, PASSWORD, "not-a-uuid"), OVOK_STATUS_UNPROCESSABLE, 422,
               "clientId must be a UUID", "bad client id");
}

void test_transport_and_server_errors() {
  check_throws([] { (void)ovok::login("http://127.0.0.1:1", EMAIL, PASSWORD, CLIENT_ID); },
               OVOK_STATUS_CONNECTION, 0, "", "refused port");
  {
    CannedServer server(nest_error(400, "bad body", "Bad Request"));
    check_throws([&] { (void)ovok::login(server.url(), EMAIL, PASSWORD, CLIENT_ID); }, OVOK_STATUS_BAD_REQUEST,
                 400, "bad body", "400");
  }
  {
    CannedServer server(nest_error(503, "try later", "Service Unavailable"));
    check_throws([&] { (void)ovok::login(server.url(), EMAIL, PASSWORD, CLIENT_ID); }, OVOK_STATUS_SERVER_ERROR,
                 503, "try later", "503");
  }
  {
    CannedServer server(nest_error(418, "teapot", "I'm a teapot"));
    check_throws([&] { (void)ovok::refresh(server.url(), "some-refresh-token"); }, OVOK_STATUS_HTTP_ERROR, 418,
                 "teapot", "418 on refresh");
  }
  {
    CannedServer server(http_reply("200 OK", "application/json", "{\"accessToken\": 5}"));
    check_throws([&] { (void)ovok::login(server.url(), EMAIL, PASSWORD, CLIENT_ID); },
                 OVOK_STATUS_INVALID_RESPONSE, 200, "", "not the documented JSON");
  }
  {
    // A server that never answers: the total timeout ends the call, whatever the load.
    CannedServer server("");
    ovok::Client client = ovok::Client::Builder().total_timeout(300ms).proxy_from_env(false).build();
    check_throws([&] { (void)client.login(server.url(), EMAIL, PASSWORD, CLIENT_ID); }, OVOK_STATUS_TIMEOUT, 0,
                 "", "silent server");
  }
  {
    // https to a server that answers in plain HTTP.
    CannedServer server(nest_error(400, "plain", "Bad Request"), CannedServer::When::AtOnce);
    check_throws([&] { (void)ovok::login(server.url("https"), EMAIL, PASSWORD, CLIENT_ID); }, OVOK_STATUS_TLS, 0,
                 "", "TLS to plain HTTP");
  }
}

void test_invalid_arguments() {
  const std::string nul("a\0b", 3);
  const std::string secret_with_nul = std::string(PASSWORD) + '\0' + "tail";
  check_failed(ovok::try_login(nul, EMAIL, PASSWORD, CLIENT_ID), OVOK_STATUS_INVALID_ARGUMENT, 0,
               "base_url contains a NUL byte", "NUL in base_url");
  check_failed(ovok::try_login(base_url, nul, PASSWORD, CLIENT_ID), OVOK_STATUS_INVALID_ARGUMENT, 0,
               "email contains a NUL byte", "NUL in email");
  check_failed(ovok::try_login(base_url, EMAIL, secret_with_nul, CLIENT_ID), OVOK_STATUS_INVALID_ARGUMENT, 0,
               "password contains a NUL byte", "NUL in password");
  check_failed(ovok::try_login(base_url, EMAIL, PASSWORD, nul), OVOK_STATUS_INVALID_ARGUMENT, 0,
               "client_id contains a NUL byte", "NUL in client_id");
  check_failed(ovok::try_refresh(base_url, nul), OVOK_STATUS_INVALID_ARGUMENT, 0,
               "refresh_token contains a NUL byte", "NUL in refresh_token");
  // What the C layer refuses arrives the same way.
  check_throws([] { (void)ovok::login(base_url, "", PASSWORD, CLIENT_ID); }, OVOK_STATUS_INVALID_ARGUMENT, 0,
               "email", "empty email");
  check_throws([] { (void)ovok::login("http://example.com", EMAIL, PASSWORD, CLIENT_ID); },
               OVOK_STATUS_INVALID_ARGUMENT, 0, "", "plain http off loopback");
  check_throws([] { (void)ovok::refresh(base_url, ""); }, OVOK_STATUS_INVALID_ARGUMENT, 0, "refresh",
               "empty refresh token");
}

void test_client_builder() {
  ovok::Client client = ovok::Client::Builder()
                            .connect_timeout(2s)
                            .total_timeout(std::chrono::milliseconds(20000))
                            .user_agent_suffix("cpp-tests/1.0")
                            .proxy_from_env(false)
                            .build();
  ovok::LoginResult r = client.login(base_url, EMAIL, PASSWORD, CLIENT_ID);
  check_demo_login(r);
  CHECK(client.try_refresh(base_url, *r.refresh_token).has_value());

  // The first refused setting is what build() throws; later good ones do not hide it.
  check_throws([] { (void)ovok::Client::Builder().total_timeout(0ms).connect_timeout(1s).build(); },
               OVOK_STATUS_INVALID_ARGUMENT, 0, "total_timeout: ", "zero total timeout");
  check_throws([] { (void)ovok::Client::Builder().connect_timeout(-5ms).build(); }, OVOK_STATUS_INVALID_ARGUMENT,
               0, "connect_timeout: ", "negative connect timeout");
  check_throws([] { (void)ovok::Client::Builder().connect_timeout(std::chrono::hours(2000000)).build(); },
               OVOK_STATUS_INVALID_ARGUMENT, 0, "connect_timeout: ", "huge connect timeout");
  check_throws([] { (void)ovok::Client::Builder().add_ca_file("/nonexistent/ca.pem").build(); },
               OVOK_STATUS_INVALID_ARGUMENT, 0, "/nonexistent/ca.pem", "missing CA file");
  check_throws([] { (void)ovok::Client::Builder().add_ca_pem("not a certificate").build(); },
               OVOK_STATUS_INVALID_ARGUMENT, 0, "add_ca_pem: ", "bad CA PEM");
  check_throws([] { (void)ovok::Client::Builder().add_ca_file(std::string("ca\0.pem", 7)).build(); },
               OVOK_STATUS_INVALID_ARGUMENT, 0, "add_ca_file: path contains a NUL byte", "NUL in CA path");
  check_throws([] { (void)ovok::Client::Builder().proxy("ftp://user:pr0xy-s3cret@127.0.0.1:1").build(); },
               OVOK_STATUS_INVALID_ARGUMENT, 0, "proxy: ", "bad proxy scheme");
  check_throws([] { (void)ovok::Client::Builder().user_agent_suffix("bad\nsuffix").build(); },
               OVOK_STATUS_INVALID_ARGUMENT, 0, "user_agent_suffix: ", "bad UA suffix");
  // The proxy's password never appears in an error.
  try {
    (void)ovok::Client::Builder().proxy("ftp://user:pr0xy-s3cret@127.0.0.1:1").build();
  } catch (const ovok::Error& error) {
    CHECK(!contains(error.what(), "pr0xy-s3cret"));
  }
  // Every request through a refused explicit proxy: CONNECTION, and the sandbox is never reached.
  ovok::Client proxied = ovok::Client::Builder().proxy("http://127.0.0.1:1").build();
  check_failed(proxied.try_login("", EMAIL, PASSWORD, CLIENT_ID), OVOK_STATUS_CONNECTION, 0, "",
               "sandbox through a refused proxy");

  // A builder builds more than one client.
  ovok::Client::Builder builder;
  builder.total_timeout(10s);
  ovok::Expected<ovok::Client> first = builder.try_build();
  ovok::Expected<ovok::Client> second = builder.try_build();
  CHECK(first.has_value() && second.has_value() && first->get() != nullptr && first->get() != second->get());
}

void test_move_semantics() {
  static_assert(!std::is_copy_constructible_v<ovok::Client> && !std::is_copy_assignable_v<ovok::Client>);
  static_assert(std::is_nothrow_move_constructible_v<ovok::Client> && std::is_nothrow_move_assignable_v<ovok::Client>);
  static_assert(!std::is_copy_constructible_v<ovok::Client::Builder>);
  static_assert(std::is_move_constructible_v<ovok::Client::Builder>);

  ovok::Client a = ovok::Client::Builder().build();
  const OvokClient* raw = a.get();
  ovok::Client b = std::move(a);
  CHECK(b.get() == raw && a.get() == nullptr);  // NOLINT(bugprone-use-after-move): checking it on purpose
  // A moved-from client refuses calls instead of crashing.
  check_failed(a.try_login(base_url, EMAIL, PASSWORD, CLIENT_ID), OVOK_STATUS_INVALID_ARGUMENT, 0, "client",
               "moved-from client");
  check_failed(a.try_refresh(base_url, "token"), OVOK_STATUS_INVALID_ARGUMENT, 0, "client",
               "moved-from client refresh");
  check_demo_login(b.login(base_url, EMAIL, PASSWORD, CLIENT_ID));
  // Assigning to a moved-from client, and over a live one (which frees the old one).
  a = ovok::Client::Builder().build();
  CHECK(a.try_login(base_url, EMAIL, PASSWORD, CLIENT_ID).has_value());
  a = std::move(b);
  CHECK(a.get() == raw && b.get() == nullptr);
  ovok::Client& alias = a;
  a = std::move(alias);  // self-move leaves it usable
  CHECK(a.try_login(base_url, EMAIL, PASSWORD, CLIENT_ID).has_value());

  ovok::Client::Builder builder;
  builder.total_timeout(5s);
  ovok::Client::Builder taken = std::move(builder);
  CHECK(taken.try_build().has_value());
  builder.total_timeout(5s);  // on the moved-from builder: refused, not a crash
  check_failed(builder.try_build(), OVOK_STATUS_INVALID_ARGUMENT, 0, "moved from", "moved-from builder");
  builder = ovok::Client::Builder();
  CHECK(builder.try_build().has_value());

  // Results and errors are ordinary values.
  ovok::Expected<ovok::LoginResult> result = ovok::try_login(base_url, EMAIL, PASSWORD, CLIENT_ID);
  ovok::Expected<ovok::LoginResult> moved = std::move(result);
  CHECK(moved.has_value() && moved->profile.display == "Max Mustermann");
  ovok::LoginResult taken_result = std::move(moved).value();
  check_demo_login(taken_result);
  ovok::Error error(OVOK_STATUS_TIMEOUT, 0, "no answer");
  ovok::Error copy = error;
  CHECK(copy.status() == OVOK_STATUS_TIMEOUT && std::string(copy.what()) == "OVOK_STATUS_TIMEOUT: no answer" &&
        copy.message() == "no answer");
}

void test_printing_redacts_tokens() {
  ovok::LoginResult r = ovok::login(base_url, EMAIL, PASSWORD, CLIENT_ID);
  std::ostringstream out;
  out << r << '\n' << static_cast<const ovok::TokenResult&>(r);
  const std::string text = out.str();
  CHECK(includes(text, "Max Mustermann") && includes(text, kProfile) && includes(text, "redacted"));
  CHECK(!includes(text, r.access_token) && !includes(text, *r.refresh_token));
}

void test_many_threads_share_a_client() {
  constexpr int kThreads = 8;
  constexpr int kLogins = 4;
  ovok::Client client = ovok::Client::Builder().build();
  std::atomic<int> succeeded{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kLogins; i++) {
        if (client.try_login(base_url, EMAIL, PASSWORD, CLIENT_ID).has_value()) {
          succeeded++;
        }
        // Errors thrown on other threads are caught there.
        try {
          (void)client.login(base_url, EMAIL, "wrong-" + std::to_string(t), CLIENT_ID);
        } catch (const ovok::Error& error) {
          if (error.status() == OVOK_STATUS_UNAUTHORIZED) {
            refused++;
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  CHECK(succeeded == kThreads * kLogins);
  CHECK(refused == kThreads * kLogins);
}


// ---- sessions --------------------------------------------------------------------

// What a session's listener heard, safe to read while other threads call it.
class Heard {
 public:
  ovok::TokenListener listener() {
    return [this](const std::optional<ovok::Tokens>& tokens) {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_.push_back(tokens);
    };
  }
  std::vector<std::optional<ovok::Tokens>> calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::optional<ovok::Tokens>> calls_;
};

void test_session_lifecycle() {
  ovok::Session session(base_url);
  Heard heard;
  session.on_tokens(heard.listener());
  check_throws([&] { (void)session.access_token(); }, OVOK_STATUS_LOGIN_REQUIRED, 0, "", "signed-out session");

  ovok::LoginResult login = session.login(EMAIL, PASSWORD, CLIENT_ID);
  check_demo_login(login);
  auto calls = heard.calls();
  CHECK(calls.size() == 1 && calls[0] && calls[0]->access_token == login.access_token &&
        calls[0]->refresh_token == login.refresh_token);

  // Fresh for an hour: no refresh.
  ovok::TokenResult current = session.access_token(60s);
  CHECK(current.access_token == login.access_token && heard.calls().size() == 1);
  // A 401 from the API: the next call refreshes, and the listener sees the rotation.
  session.invalidate();
  ovok::TokenResult refreshed = session.access_token();
  calls = heard.calls();
  CHECK(refreshed.access_token != login.access_token && calls.size() == 2 && calls[1] &&
        calls[1]->access_token == refreshed.access_token && calls[1]->refresh_token != login.refresh_token);

  // Logout clears the tokens (the listener hears nullopt), then the server revokes them.
  session.logout();
  calls = heard.calls();
  CHECK(calls.size() == 3 && !calls[2].has_value());
  check_throws([&] { (void)session.access_token(); }, OVOK_STATUS_LOGIN_REQUIRED, 0, "", "after logout");
  check_failed(session.try_logout(), OVOK_STATUS_LOGIN_REQUIRED, 0, "", "second logout");
  // The session logs in again.
  CHECK(session.try_login(EMAIL, PASSWORD, CLIENT_ID).has_value() && heard.calls().size() == 4);
  check_failed(session.try_login(EMAIL, "wrong", CLIENT_ID), OVOK_STATUS_UNAUTHORIZED, 401, "Invalid email",
               "session login, wrong password");
}

void test_session_restore() {
  ovok::LoginResult saved = ovok::login(base_url, EMAIL, PASSWORD, CLIENT_ID);
  // From the refresh token alone: the first call refreshes.
  ovok::Session session(base_url);
  Heard heard;
  session.on_tokens(heard.listener());
  session.restore(*saved.refresh_token);
  CHECK(heard.calls().empty());  // restoring is not a change the listener hears
  ovok::TokenResult restored = session.access_token();
  CHECK(restored.access_token != saved.access_token && heard.calls().size() == 1);

  // The refresh token is now spent: a session restored from it is refused and signed out.
  ovok::Session refused(base_url);
  Heard refused_heard;
  refused.on_tokens(refused_heard.listener());
  refused.restore(*saved.refresh_token, saved.access_token, std::chrono::system_clock::now() - 10s);
  check_failed(refused.try_access_token(), OVOK_STATUS_LOGIN_REQUIRED, 401, "", "refused refresh");
  auto calls = refused_heard.calls();
  CHECK(calls.size() == 1 && !calls[0].has_value());

  // A server error is not a logout: the tokens stay for a later try.
  CannedServer failing(nest_error(503, "down", "Service Unavailable"));
  ovok::Session offline(failing.url());
  Heard offline_heard;
  offline.on_tokens(offline_heard.listener());
  offline.restore(*restored.refresh_token);
  check_failed(offline.try_access_token(), OVOK_STATUS_SERVER_ERROR, 503, "down", "refresh during an outage");
  check_failed(offline.try_access_token(), OVOK_STATUS_SERVER_ERROR, 503, "down", "refresh during an outage");
  CHECK(offline_heard.calls().empty());

  // Arguments C cannot carry.
  check_failed(session.try_restore(std::string("a\0b", 3)), OVOK_STATUS_INVALID_ARGUMENT, 0,
               "refresh_token contains a NUL byte", "NUL in a restored refresh token");
  check_failed(session.try_restore("token", std::string("a\0b", 3)), OVOK_STATUS_INVALID_ARGUMENT, 0,
               "access_token contains a NUL byte", "NUL in a restored access token");
  check_failed(session.try_restore(""), OVOK_STATUS_INVALID_ARGUMENT, 0, "restore", "empty refresh token");
  ovok::Session nul_url(std::string("http://127.0.0.1\0:1", 19));
  check_failed(nul_url.try_login(EMAIL, PASSWORD, CLIENT_ID), OVOK_STATUS_INVALID_ARGUMENT, 0,
               "base_url contains a NUL byte", "NUL in a session's base URL");
  check_failed(nul_url.try_access_token(), OVOK_STATUS_INVALID_ARGUMENT, 0, "base_url", "NUL base URL");
  ovok::Session bad_url("http://example.com");
  check_failed(bad_url.try_login(EMAIL, PASSWORD, CLIENT_ID), OVOK_STATUS_INVALID_ARGUMENT, 0, "",
               "a session's plain-http base URL off loopback");
}

void test_session_listener_exceptions_stay_in_cpp() {
  ovok::Session session(base_url);
  int calls = 0;
  session.on_tokens([&calls](const std::optional<ovok::Tokens>&) {
    calls++;
    throw std::runtime_error("a listener that fails");
  });
  CHECK(session.try_login(EMAIL, PASSWORD, CLIENT_ID).has_value());
  session.invalidate();
  CHECK(session.try_access_token().has_value());
  CHECK(calls == 2);
  // Replacing and removing the listener.
  Heard heard;
  session.on_tokens(heard.listener());
  session.invalidate();
  CHECK(session.try_access_token().has_value() && heard.calls().size() == 1);
  session.on_tokens(nullptr);
  session.invalidate();
  CHECK(session.try_access_token().has_value() && heard.calls().size() == 1 && calls == 2);
}

void test_session_moves_and_clients() {
  static_assert(!std::is_copy_constructible_v<ovok::Session> && !std::is_copy_assignable_v<ovok::Session>);
  static_assert(std::is_nothrow_move_constructible_v<ovok::Session> &&
                std::is_nothrow_move_assignable_v<ovok::Session>);

  Heard heard;
  ovok::Session a(base_url);
  a.on_tokens(heard.listener());
  ovok::Session b = std::move(a);  // the listener moves with the session
  CHECK(b.try_login(EMAIL, PASSWORD, CLIENT_ID).has_value() && heard.calls().size() == 1);
  check_failed(a.try_access_token(), OVOK_STATUS_INVALID_ARGUMENT, 0, "session", "moved-from session");
  check_failed(a.try_login(EMAIL, PASSWORD, CLIENT_ID), OVOK_STATUS_INVALID_ARGUMENT, 0, "session",
               "moved-from session login");
  a.invalidate();
  a.on_tokens(heard.listener());
  a = ovok::Session(base_url);  // assigning to a moved-from session
  CHECK(a.try_login(EMAIL, PASSWORD, CLIENT_ID).has_value() && heard.calls().size() == 1);
  a = std::move(b);  // over a live one
  CHECK(a.try_access_token().has_value());
  a.invalidate();
  CHECK(a.try_access_token().has_value() && heard.calls().size() == 2);

  // A session keeps its client alive.
  std::optional<ovok::Session> on_client;
  {
    ovok::Client client = ovok::Client::Builder().user_agent_suffix("cpp-session/1").build();
    on_client.emplace(client, base_url);
  }
  CHECK(on_client->try_login(EMAIL, PASSWORD, CLIENT_ID).has_value());
  // Not the shared default client in its place.
  ovok::Client taken = ovok::Client::Builder().build();
  ovok::Client left = std::move(taken);
  ovok::Session on_moved_from(taken, base_url);
  check_failed(on_moved_from.try_login(EMAIL, PASSWORD, CLIENT_ID), OVOK_STATUS_INVALID_ARGUMENT, 0,
               "client was moved from", "session on a moved-from client");
}

// Threads asking an expired session at once share one refresh: refresh tokens
// rotate, so a second refresh with the same token would be refused and sign out.
void test_many_threads_share_a_session() {
  constexpr int kThreads = 16;
  ovok::LoginResult saved = ovok::login(base_url, EMAIL, PASSWORD, CLIENT_ID);
  ovok::Session session(base_url);
  Heard heard;
  session.on_tokens(heard.listener());
  session.restore(*saved.refresh_token, saved.access_token, std::chrono::system_clock::now() - 1s);

  std::vector<std::string> tokens(kThreads);
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      ovok::Expected<ovok::TokenResult> token = session.try_access_token(60s);
      if (token) {
        tokens[t] = token->access_token;
      } else {
        failed++;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  auto calls = heard.calls();
  CHECK(failed == 0);
  CHECK(calls.size() == 1 && calls[0] && calls[0]->access_token != saved.access_token);
  int same = 0;
  for (const std::string& token : tokens) {
    same += !calls.empty() && calls[0] && token == calls[0]->access_token ? 1 : 0;
  }
  CHECK(same == kThreads);
}

// Threads that all got a 401 for one token renew it once; a stale, unknown or
// NUL-holding token changes nothing. The listener hears each refresh once.
void test_many_threads_rejected_with_one_token_renew_once() {
  constexpr int kThreads = 16;
  ovok::Session session(base_url);
  Heard heard;
  session.on_tokens(heard.listener());
  const std::string old = session.login(EMAIL, PASSWORD, CLIENT_ID).access_token;

  std::vector<std::string> tokens(kThreads);
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      session.invalidate(old);
      ovok::Expected<ovok::TokenResult> token = session.try_access_token(60s);
      if (token) {
        tokens[t] = token->access_token;
      } else {
        failed++;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  auto calls = heard.calls();
  CHECK(failed == 0);
  CHECK(calls.size() == 2 && calls[1] && calls[1]->access_token != old);
  const std::string current = calls.size() == 2 && calls[1] ? calls[1]->access_token : std::string();
  for (const std::string& token : tokens) {
    CHECK(token == current);
  }
  for (const std::string& ignored : {old, std::string("elsewhere"), current + std::string(1, '\0') + "x"}) {
    session.invalidate(ignored);
    CHECK(session.access_token().access_token == current);
  }
  CHECK(heard.calls().size() == 2);
  session.invalidate(std::nullopt);
  CHECK(session.access_token().access_token != current && heard.calls().size() == 3);
}

#ifdef OVOK_TEST_HOOKS
// A panic inside the core is OVOK_STATUS_INTERNAL, thrown like any other error.
void test_internal() {
  check_throws([] { (void)ovok::login(base_url, "panic@test-hooks.invalid", PASSWORD, CLIENT_ID); },
               OVOK_STATUS_INTERNAL, 0, "", "panic in the core");
  CHECK(ovok::try_login(base_url, EMAIL, PASSWORD, CLIENT_ID).has_value());
}
#endif

// An error that a case did not expect fails that case, and the rest still run.
void run(const char* name, void (*test)()) {
  try {
    test();
  } catch (const std::exception& error) {
    const bool unexpected_exception = false;
    CHECK(unexpected_exception);
    std::fprintf(stderr, "  [%s] threw: %s\n", name, error.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: test_cpp BASE_URL\n");
    return 64;
  }
  base_url = argv[1];
  run("version", test_version);
  run("login and refresh", test_login_and_refresh);
  run("emulator errors", test_emulator_errors);
  run("transport and server errors", test_transport_and_server_errors);
  run("invalid arguments", test_invalid_arguments);
  run("client builder", test_client_builder);
  run("move semantics", test_move_semantics);
  run("printing redacts tokens", test_printing_redacts_tokens);
  run("many threads share a client", test_many_threads_share_a_client);
  run("session lifecycle", test_session_lifecycle);
  run("session restore", test_session_restore);
  run("session listener exceptions", test_session_listener_exceptions_stay_in_cpp);
  run("session moves and clients", test_session_moves_and_clients);
  run("many threads share a session", test_many_threads_share_a_session);
  run("many threads rejected with one token", test_many_threads_rejected_with_one_token_renew_once);
#ifdef OVOK_TEST_HOOKS
  run("internal", test_internal);
#endif
  return check_summary("test_cpp");
}
