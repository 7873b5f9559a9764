/* base/public.h -- the public headers as the library sees them.
 * Design: manual/design/config.rst
 *
 * The library builds with -fvisibility=hidden; declarations made between
 * the pragmas below keep default visibility, so exactly the public names
 * (mps_*, _mps_*) are exported from libmps.so. */
#ifndef LAGOON_BASE_PUBLIC_H
#define LAGOON_BASE_PUBLIC_H

#include "base/config.h"

#pragma GCC visibility push(default)
#include "mps.h"
#include "mpsavm.h"
#include "mpsacl.h"
#include "mpscamc.h"
#include "mpscams.h"
#include "mpscawl.h"
#include "mpsclo.h"
#include "mpscmfs.h"
#include "mpscmvff.h"
#include "mpscmvt.h"
#include "mpscsnc.h"
#include "mpslib.h"
#include "mpsio.h"
#pragma GCC visibility pop

#endif /* LAGOON_BASE_PUBLIC_H */
