// include/ovok.hpp built with -fno-exceptions: the throwing API is absent, and
// the try_ forms report every outcome through ovok::Expected.
//
//   test_cpp_noexcept BASE_URL
//
// BASE_URL is the emulator's http URL (scripts/with-emulator.sh passes it).
#include "ovok.hpp"

#include <string>
#include <type_traits>
#include <utility>

#include "check.h"

#if OVOK_HPP_EXCEPTIONS || defined(__cpp_exceptions)
#error "build this test with -fno-exceptions"
#endif

namespace {

using namespace std::chrono_literals;

// Whether Client has a throwing login(...), detected without calling it.
template <class C, class = void>
struct has_throwing_login : std::false_type {};
template <class C>
struct has_throwing_login<C, std::void_t<decltype(std::declval<const C&>().login(
                                 std::string(), std::string(), std::string(), std::string()))>> : std::true_type {};
static_assert(!has_throwing_login<ovok::Client>::value, "no throwing API without exceptions");

template <class B, class = void>
struct has_throwing_build : std::false_type {};
template <class B>
struct has_throwing_build<B, std::void_t<decltype(std::declval<B&>().build())>> : std::true_type {};
static_assert(!has_throwing_build<ovok::Client::Builder>::value, "no throwing build() without exceptions");

template <class S, class = void>
struct has_throwing_access_token : std::false_type {};
template <class S>
struct has_throwing_access_token<S, std::void_t<decltype(std::declval<S&>().access_token())>> : std::true_type {};
static_assert(!has_throwing_access_token<ovok::Session>::value, "no throwing Session API without exceptions");

std::string base_url;

void test_success() {
  ovok::Expected<ovok::LoginResult> r = ovok::try_login(base_url, EMAIL, PASSWORD, CLIENT_ID);
  CHECK(r.has_value() && r.status() == OVOK_STATUS_OK);
  if (!r) {
    std::fprintf(stderr, "  login failed: %s\n", r.error().what());
    return;
  }
  CHECK(r->profile.display == "Max Mustermann" && r->refresh_token.has_value() && r->expires_at.has_value());
  ovok::Expected<ovok::TokenResult> next = ovok::try_refresh(base_url, *r->refresh_token);
  CHECK(next.has_value() && next->access_token != r->access_token);
  ovok::Expected<ovok::TokenResult> spent = ovok::try_refresh(base_url, *r->refresh_token);
  CHECK(!spent && spent.status() == OVOK_STATUS_UNAUTHORIZED && spent.error().http_status() == 401);
}

void test_failures() {
  ovok::Expected<ovok::LoginResult> wrong = ovok::try_login(base_url, EMAIL, "wrong", CLIENT_ID);
  CHECK(!wrong && wrong.status() == OVOK_STATUS_UNAUTHORIZED && wrong.error().http_status() == 401);
  CHECK(contains(wrong.error().what(), "OVOK_STATUS_UNAUTHORIZED (HTTP 401): Invalid email or password"));

  ovok::Expected<ovok::LoginResult> nul = ovok::try_login(base_url, EMAIL, std::string("s3cr\0et", 7), CLIENT_ID);
  CHECK(!nul && nul.status() == OVOK_STATUS_INVALID_ARGUMENT && nul.error().http_status() == 0);
  CHECK(contains(nul.error().what(), "password contains a NUL byte") && !contains(nul.error().what(), "s3cr"));

  ovok::Expected<ovok::LoginResult> refused = ovok::try_login("http://127.0.0.1:1", EMAIL, PASSWORD, CLIENT_ID);
  CHECK(!refused && refused.status() == OVOK_STATUS_CONNECTION);
}

void test_client() {
  ovok::Expected<ovok::Client> bad = ovok::Client::Builder().total_timeout(0ms).try_build();
  CHECK(!bad && bad.status() == OVOK_STATUS_INVALID_ARGUMENT && contains(bad.error().what(), "total_timeout: "));

  ovok::Expected<ovok::Client> built = ovok::Client::Builder().total_timeout(20s).proxy_from_env(false).try_build();
  CHECK(built.has_value());
  if (!built) {
    return;
  }
  ovok::Client client = std::move(built).value();
  CHECK(client.try_login(base_url, EMAIL, PASSWORD, CLIENT_ID).has_value());
  ovok::Client other = std::move(client);
  CHECK(client.try_login(base_url, EMAIL, PASSWORD, CLIENT_ID).status() == OVOK_STATUS_INVALID_ARGUMENT);
  CHECK(other.try_login(base_url, EMAIL, PASSWORD, CLIENT_ID).has_value());
}

void test_session() {
  ovok::Session session(base_url);
  int heard = 0;
  session.on_tokens([&heard](const std::optional<ovok::Tokens>&) { heard++; });
  CHECK(session.try_access_token().status() == OVOK_STATUS_LOGIN_REQUIRED);
  CHECK(session.try_login(EMAIL, PASSWORD, CLIENT_ID).has_value() && heard == 1);
  session.invalidate();
  ovok::Expected<ovok::TokenResult> token = session.try_access_token(60s);
  CHECK(token.has_value() && heard == 2);
  ovok::Expected<void> logout = session.try_logout();
  CHECK(logout.has_value() && logout.status() == OVOK_STATUS_OK && heard == 3);
  ovok::Expected<void> restored = session.try_restore("");
  CHECK(!restored && restored.status() == OVOK_STATUS_INVALID_ARGUMENT);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: test_cpp_noexcept BASE_URL\n");
    return 64;
  }
  base_url = argv[1];
  test_success();
  test_failures();
  test_client();
  test_session();
  return check_summary("test_cpp_noexcept");
}
