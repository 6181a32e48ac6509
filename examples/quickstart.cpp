#include <chrono>
#include <cstdlib>
#include <iostream>
#include "ovok.hpp"

int main() {
  // "" = Ovok's sandbox; set OVOK_BASE_URL to use the emulator.
  const char* url = std::getenv("OVOK_BASE_URL");
  try {
    ovok::LoginResult r = ovok::login(url ? url : "", "john.doe@mail.com", "password1234",
                                      "5e505642-9024-474d-9434-e5a44f505cc5");
    std::cout << "logged in as " << r.profile.display << " until "
              << (r.expires_at ? std::chrono::system_clock::to_time_t(*r.expires_at) : -1) << "\n";
    return 0;
  } catch (const ovok::Error& e) {  // e.status() is the OvokStatus, e.http_status() the HTTP one
    std::cerr << e.what() << "\n";
    return 1;
  }
}
