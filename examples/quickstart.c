#include <stdio.h>
#include <stdlib.h>
#include "ovok.h"

int main(void) {
  /* NULL base URL = Ovok's sandbox; set OVOK_BASE_URL to use the emulator. */
  OvokResult *r = ovok_login(getenv("OVOK_BASE_URL"), "john.doe@mail.com", "password1234",
                             "5e505642-9024-474d-9434-e5a44f505cc5");
  if (r->status == OVOK_STATUS_OK)
    printf("logged in as %s until %lld\n", r->profile_display, (long long)r->expires_at);
  else
    fprintf(stderr, "%s: %s\n", ovok_status_name(r->status), r->error_message);
  int exit_code = r->status == OVOK_STATUS_OK ? 0 : 1;
  ovok_result_free(r);
  return exit_code;
}
