// Tesseract's C API and the Leptonica image functions it takes and returns.
#include <tesseract/capi.h>
#include <leptonica/allheaders.h>
