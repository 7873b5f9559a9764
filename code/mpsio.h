/* mpsio.h -- the plinth's output channel for the telemetry stream.
 * Design: manual/design/interface.rst (MPS manual, topic/plinth.rst) */
#ifndef mpsio_h
#define mpsio_h

#include <stddef.h>

#include "mps.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mps_io_s *mps_io_t;

/* Open the telemetry output (the default plinth writes the file named by
 * MPS_TELEMETRY_FILENAME); *io_o is written only on success. */
extern mps_res_t mps_io_create(mps_io_t *io_o);
extern void mps_io_destroy(mps_io_t io);
extern mps_res_t mps_io_write(mps_io_t io, void *buf, size_t size);
extern mps_res_t mps_io_flush(mps_io_t io);

#ifdef __cplusplus
}
#endif

#endif /* mpsio_h */
