// The header is mostly static inline; this file holds what needs _GNU_SOURCE before <string.h>.
#define _GNU_SOURCE
#include <string.h>
#include "CIoUring.h"

const char *CIoUring_errno_name(int error) { return strerrorname_np(error); }

const char *CIoUring_errno_description(int error) { return strerrordesc_np(error); }
