// OCRKit: the only module that touches Tesseract and Leptonica.
//
// Contract
// - `OCREngine` loads `eng.traineddata` once and is reused for every job on
//   one thread. It is not thread-safe: run one engine per worker thread.
// - `OCREngine.read` checks the image header before decoding anything, so an
//   image that is too large fails fast without its pixels being allocated.
// - Every failure is an `OCRError` with a machine-readable code. None of them
//   is a programmer's mistake; all come from the job's bytes or its deadline.
// - `digits` mode reads a number; `text` mode reads everything, the way the
//   reference (`pytesseract.image_to_string`, page segmentation mode 3) does.
//
// Environment
// - Tesseract's OpenMP threads fight each other when several engines run in
//   one process. Set `OMP_THREAD_LIMIT=1` in the environment before the
//   process starts (libgomp reads it once, at load); `OCRRuntime` helps.
//
// Known limitations
// - XXX: the deadline is enforced by Tesseract between words; page layout
//   analysis and image decoding run before the first check and are bounded
//   only by the pixel limit (a 2400x1800 page of noise was seen still running
//   25 s past a 3 s deadline; ocrspool-ocr's --stall-after restarts it).
// - XXX: only the first page or frame of a multi-page TIFF or GIF is read.
// - XXX: only English (`eng`) is loaded.
// - XXX: libpng writes its own message on stderr for a truncated PNG
//   (Leptonica's quiet setting does not reach it); the error is still thrown.
// - XXX: most remaining digit misreads are the first digit of a number that
//   starts close to the image edge (5 read as 9, 0 as 6, or dropped); a
//   background-coloured border before recognition may help, not yet tried.
