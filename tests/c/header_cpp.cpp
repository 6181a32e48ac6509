// The header must compile as C++11 and link from C++.
#include "ovok.h"

#include <cstdio>

int main() {
  OvokResult *result = ovok_login(nullptr, nullptr, nullptr, nullptr);
  const bool rejected = result->status == OVOK_STATUS_INVALID_ARGUMENT;
  std::printf("C++: %s %s\n", ovok_version(), ovok_status_name(result->status));
  ovok_result_free(result);
  return rejected ? 0 : 1;
}
