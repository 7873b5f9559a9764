/* platform/io.c -- the default I/O plinth (mpsio.h): the telemetry
 * stream goes to a file.
 * Design: manual/design/vm.rst (design.vm.plinth.io)
 *
 * The file is named by MPS_TELEMETRY_FILENAME, by default "mpsio.log";
 * an mps_io_t is the stdio FILE in disguise. */
#include "base/config.h"
#include "base/public.h"

#include <stdio.h>
#include <stdlib.h>

mps_res_t mps_io_create(mps_io_t *io_o)
{
  const char *name = getenv("MPS_TELEMETRY_FILENAME");
  FILE *f;

  if (io_o == NULL)
    return MPS_RES_PARAM;
  if (name == NULL || name[0] == '\0')
    name = "mpsio.log";
  f = fopen(name, "wb");
  if (f == NULL)
    return MPS_RES_IO;
  *io_o = (mps_io_t)f;
  return MPS_RES_OK;
}

void mps_io_destroy(mps_io_t io)
{
  if (io != NULL)
    (void)fclose((FILE *)io);
}

mps_res_t mps_io_write(mps_io_t io, void *buf, size_t size)
{
  if (io == NULL || (buf == NULL && size > 0))
    return MPS_RES_PARAM;
  if (size > 0 && fwrite(buf, 1, size, (FILE *)io) != size)
    return MPS_RES_IO;
  return MPS_RES_OK;
}

mps_res_t mps_io_flush(mps_io_t io)
{
  if (io == NULL)
    return MPS_RES_PARAM;
  return fflush((FILE *)io) == 0 ? MPS_RES_OK : MPS_RES_IO;
}
