// CIoUring is header-only; this file gives SwiftPM a translation unit.
#include "CIoUring.h"
