/* Picks up the one generated header, include/ovok.h, from the include path. */
#include <ovok.h>
