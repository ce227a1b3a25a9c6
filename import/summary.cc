#include "import/summary.h"

#include <algorithm>
#include <filesystem>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"

namespace entente::importer {

using google::protobuf::util::TimeUtil;

namespace {

// Each format's name and its value in the Import RPC.
struct FormatInfo {
  Format format;
  absl::string_view name;
  v1::ImportFormat proto;
};
constexpr FormatInfo kFormats[] = {
    {Format::kTsv, "tsv", v1::IMPORT_FORMAT_TSV},
    {Format::kCsv, "csv", v1::IMPORT_FORMAT_CSV},
    {Format::kJsonl, "jsonl", v1::IMPORT_FORMAT_JSONL},
    {Format::kAuto, "auto", v1::IMPORT_FORMAT_UNSPECIFIED},
};

// The entry of `format` (kAuto's for a value outside the table).
template <typename Value>
const FormatInfo& InfoOf(Value FormatInfo::*field, Value value) {
  for (const FormatInfo& info : kFormats) {
    if (info.*field == value) return info;
  }
  return kFormats[std::size(kFormats) - 1];
}

// The length of the well-formed UTF-8 character at the start of `text`
// (no overlong forms, surrogates or code points past U+10FFFF), 0 if none.
size_t Utf8CharLength(absl::string_view text) {
  const auto byte = [&text](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length;
  unsigned char low = 0x80, high = 0xbf;  // the second byte's range
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return length;
}

// `text` with each byte that is not part of well-formed UTF-8 written as
// \xNN: errors quote the input, which may be in another encoding, and the
// Import RPC's strings must be UTF-8 (a proto3 client refuses the whole
// response otherwise).
std::string Utf8Text(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t length = Utf8CharLength(text);
    if (length == 0) {
      absl::StrAppend(&out, "\\x",
                      absl::Hex(static_cast<unsigned char>(text[0]), absl::kZeroPad2));
      text.remove_prefix(1);
    } else {
      out.append(text.data(), length);
      text.remove_prefix(length);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<Format> ParseFormat(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower.empty()) return Format::kAuto;
  if (lower == "json") return Format::kJsonl;
  const FormatInfo& info = InfoOf(&FormatInfo::name, absl::string_view(lower));
  if (info.name == lower) return info.format;
  return absl::InvalidArgumentError(
      absl::StrCat("format: \"", name, "\" is not one of tsv, csv, jsonl"));
}

absl::string_view FormatName(Format format) { return InfoOf(&FormatInfo::format, format).name; }

absl::StatusOr<Format> DetectFormat(const std::string& path, Format format) {
  if (format != Format::kAuto) return format;
  const std::string extension =
      absl::AsciiStrToLower(std::filesystem::path(path).extension().string());
  if (extension == ".tsv") return Format::kTsv;
  if (extension == ".csv") return Format::kCsv;
  if (extension == ".jsonl") return Format::kJsonl;
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": cannot tell the format from the extension \"", extension,
      "\" (.tsv, .csv or .jsonl); name the format (tsv, csv or jsonl)"));
}

std::string DescribeProgress(const Progress& progress) {
  const double seconds = absl::ToDoubleSeconds(progress.elapsed);
  const double rate = seconds > 0 ? static_cast<double>(progress.lines) / seconds : 0;
  std::string text = absl::StrFormat("%d rows, %.0f rows/s", progress.lines, rate);
  const double byte_rate = seconds > 0 ? static_cast<double>(progress.bytes) / seconds : 0;
  if (progress.total_bytes > 0 && byte_rate > 0) {
    const double left =
        static_cast<double>(std::max<int64_t>(progress.total_bytes - progress.bytes, 0));
    absl::StrAppendFormat(&text, ", ETA %.0f s", left / byte_rate);
  }
  return text;
}

double ImportSummary::lines_per_second() const {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? static_cast<double>(lines) / seconds : 0;
}

std::string DescribeSummary(const ImportSummary& summary) {
  std::string out = absl::StrFormat(
      "%s (%s, source \"%s\"): %d lines read, %d facts created, %d unchanged, %d rejected, "
      "%d entities created (%d affiliated, %d unaffiliated) in %.2f s (%.0f lines/s)%s\n",
      summary.path, FormatName(summary.format), summary.source_id, summary.lines,
      summary.facts_created, summary.unchanged, summary.rejected, summary.entities_created,
      summary.actors_affiliated, summary.actors_unaffiliated,
      absl::ToDoubleSeconds(summary.elapsed), summary.lines_per_second(),
      summary.stopped ? "; stopped at the first bad line" : "");
  for (const auto& error : summary.errors) absl::StrAppend(&out, error, "\n");
  const int64_t unlisted = summary.rejected - static_cast<int64_t>(summary.errors.size());
  if (unlisted > 0) absl::StrAppend(&out, "... and ", unlisted, " more\n");
  return out;
}

v1::ImportFormat ToProto(Format format) { return InfoOf(&FormatInfo::format, format).proto; }

Format FromProto(v1::ImportFormat format) { return InfoOf(&FormatInfo::proto, format).format; }

v1::ImportResponse ToProto(const ImportSummary& summary) {
  v1::ImportResponse response;
  response.set_file_name(Utf8Text(summary.path));
  response.set_format(ToProto(summary.format));
  response.set_source_id(summary.source_id);
  response.set_lines(summary.lines);
  response.set_facts_created(summary.facts_created);
  response.set_unchanged(summary.unchanged);
  response.set_rejected(summary.rejected);
  response.set_entities_created(summary.entities_created);
  response.set_actors_affiliated(summary.actors_affiliated);
  response.set_actors_unaffiliated(summary.actors_unaffiliated);
  response.set_stopped(summary.stopped);
  for (const auto& error : summary.errors) response.add_errors(Utf8Text(error));
  *response.mutable_elapsed() =
      TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(summary.elapsed));
  return response;
}

ImportSummary FromProto(const v1::ImportResponse& response) {
  ImportSummary summary;
  summary.path = response.file_name();
  summary.format = FromProto(response.format());
  summary.source_id = response.source_id();
  summary.lines = response.lines();
  summary.facts_created = response.facts_created();
  summary.unchanged = response.unchanged();
  summary.rejected = response.rejected();
  summary.entities_created = response.entities_created();
  summary.actors_affiliated = response.actors_affiliated();
  summary.actors_unaffiliated = response.actors_unaffiliated();
  summary.stopped = response.stopped();
  summary.errors.assign(response.errors().begin(), response.errors().end());
  summary.elapsed = absl::Nanoseconds(TimeUtil::DurationToNanoseconds(response.elapsed()));
  return summary;
}

}  // namespace entente::importer
