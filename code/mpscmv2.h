/* mpscmv2.h -- old name of the MVT pool class header.
 * Design: manual/design/interface.rst */
#ifndef mpscmv2_h
#define mpscmv2_h

#include "mpscmvt.h"

#endif /* mpscmv2_h */
