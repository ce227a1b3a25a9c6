// libFuzzer target: the input is a whole TSV file for the importer
// (fuzz/import_fuzz.cc says what is checked).
#include <cstddef>
#include <cstdint>

#include "fuzz/import_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  entente::fuzz::FuzzImport(entente::importer::Format::kTsv, data, size);
  return 0;
}
