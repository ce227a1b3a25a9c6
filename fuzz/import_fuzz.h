// The importer fuzz targets' common body: one input imported as a file of
// the given format (import/importer.h), then again, with invariants checked.
#ifndef ENTENTE_FUZZ_IMPORT_FUZZ_H_
#define ENTENTE_FUZZ_IMPORT_FUZZ_H_

#include <cstddef>
#include <cstdint>

#include "import/summary.h"

namespace entente::fuzz {

void FuzzImport(importer::Format format, const uint8_t* data, size_t size);

}  // namespace entente::fuzz

#endif  // ENTENTE_FUZZ_IMPORT_FUZZ_H_
