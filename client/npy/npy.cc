#include "client/npy/npy.h"

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "kernels/numeric/half_float.h"

namespace attnserve {
namespace {

// The element bytes are copied as they are: .npy data is little-endian, and so is the host.
static_assert(std::endian::native == std::endian::little);

constexpr absl::string_view kMagic("\x93NUMPY", 6);
constexpr size_t kHeaderAlignment = 64;  // numpy pads magic + length + header to this

// The fields of the header dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
struct NpyHeader {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<int64_t>> shape;
};

// A recursive-descent reader for the Python literal numpy writes as the header. It accepts the
// subset numpy produces: string keys, a string, True/False and a tuple of non-negative ints.
class HeaderParser {
 public:
  explicit HeaderParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<NpyHeader> Parse() {
    NpyHeader header;
    if (!Consume('{')) return Error("expected '{'");
    while (!Consume('}')) {
      std::optional<std::string> key = ParseString();
      if (!key) return Error("expected a quoted key");
      if (!Consume(':')) return Error(absl::StrCat("expected ':' after '", *key, "'"));
      if (*key == "descr") {
        header.descr = ParseString();
        if (!header.descr) return Error("descr is not a quoted string");
      } else if (*key == "fortran_order") {
        header.fortran_order = ParseBool();
        if (!header.fortran_order) return Error("fortran_order is not True or False");
      } else if (*key == "shape") {
        header.shape = ParseShape();
        if (!header.shape) return Error("shape is not a tuple of non-negative ints");
      } else {
        return Error(absl::StrCat("unknown key '", *key, "'"));
      }
      if (!Consume(',') && !Peek('}')) return Error("expected ',' or '}'");
    }
    SkipSpace();
    if (position_ != text_.size()) return Error("text after the closing '}'");
    if (!header.descr || !header.fortran_order || !header.shape) {
      return Error("it needs the keys descr, fortran_order and shape");
    }
    return header;
  }

 private:
  absl::Status Error(absl::string_view problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat("bad header (", problem, " at offset ", position_, "): ", text_));
  }

  void SkipSpace() {
    while (position_ < text_.size() && absl::ascii_isspace(text_[position_])) ++position_;
  }

  bool Peek(char c) {
    SkipSpace();
    return position_ < text_.size() && text_[position_] == c;
  }

  bool Consume(char c) {
    if (!Peek(c)) return false;
    ++position_;
    return true;
  }

  bool ConsumeWord(absl::string_view word) {
    SkipSpace();
    if (text_.substr(position_, word.size()) != word) return false;
    position_ += word.size();
    return true;
  }

  std::optional<std::string> ParseString() {
    SkipSpace();
    if (position_ >= text_.size()) return std::nullopt;
    const char quote = text_[position_];
    if (quote != '\'' && quote != '"') return std::nullopt;
    const size_t end = text_.find(quote, position_ + 1);
    if (end == absl::string_view::npos) return std::nullopt;
    std::string value(text_.substr(position_ + 1, end - position_ - 1));
    position_ = end + 1;
    return value;
  }

  std::optional<bool> ParseBool() {
    if (ConsumeWord("True")) return true;
    if (ConsumeWord("False")) return false;
    return std::nullopt;
  }

  std::optional<std::vector<int64_t>> ParseShape() {
    if (!Consume('(')) return std::nullopt;
    std::vector<int64_t> shape;
    while (!Consume(')')) {
      SkipSpace();
      const size_t start = position_;
      while (position_ < text_.size() && absl::ascii_isdigit(text_[position_])) ++position_;
      int64_t dim = 0;
      if (!absl::SimpleAtoi(text_.substr(start, position_ - start), &dim)) return std::nullopt;
      ConsumeWord("L");  // Python 2 longs
      shape.push_back(dim);
      if (!Consume(',') && !Peek(')')) return std::nullopt;
    }
    return shape;
  }

  absl::string_view text_;
  size_t position_ = 0;
};

uint32_t LittleEndianUint(absl::string_view bytes) {
  uint32_t value = 0;
  for (size_t i = bytes.size(); i-- > 0;) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

absl::Status FileError(const std::string& name, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": ", problem));
}

// Appends `values` to `bytes` in `dtype`.
void AppendValues(std::span<const float> values, NpyDtype dtype, std::string& bytes) {
  if (dtype == NpyDtype::kFloat32) {
    const size_t start = bytes.size();
    bytes.resize(start + values.size() * 4);
    std::memcpy(bytes.data() + start, values.data(), values.size() * 4);
    return;
  }
  for (float value : values) {
    const uint16_t bits = FloatToHalfBits(value);
    bytes.push_back(static_cast<char>(bits & 0xff));
    bytes.push_back(static_cast<char>(bits >> 8));
  }
}

std::string ShapeLiteral(const std::vector<int64_t>& shape) {
  if (shape.size() == 1) return absl::StrCat("(", shape[0], ",)");
  return absl::StrCat("(", absl::StrJoin(shape, ", "), ")");
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

absl::StatusOr<NpyArray> ParseNpy(const std::string& bytes, const std::string& name) {
  if (bytes.size() < kMagic.size() + 2 || absl::string_view(bytes).substr(0, 6) != kMagic) {
    return FileError(name, "not an .npy file (bad magic; expected \\x93NUMPY)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0) {
    return FileError(name, absl::StrCat("unsupported .npy format version ", major, ".", minor,
                                        " (1.0, 2.0 and 3.0 are)"));
  }
  const size_t length_bytes = major == 1 ? 2 : 4;
  const size_t header_start = 8 + length_bytes;
  if (bytes.size() < header_start) return FileError(name, "truncated header");
  const size_t header_length = LittleEndianUint(absl::string_view(bytes).substr(8, length_bytes));
  if (bytes.size() - header_start < header_length) {
    return FileError(name, absl::StrCat("truncated header: it declares ", header_length,
                                        " bytes, the file has ", bytes.size() - header_start));
  }
  absl::StatusOr<NpyHeader> header =
      HeaderParser(absl::string_view(bytes).substr(header_start, header_length)).Parse();
  if (!header.ok()) return FileError(name, header.status().message());

  NpyArray array;
  array.descr = *header->descr;
  array.shape = *header->shape;
  size_t item_bytes = 0;
  if (array.descr == "<f2") {
    item_bytes = 2;
  } else if (array.descr == "<f4") {
    item_bytes = 4;
  } else if (array.descr == "<f8") {
    item_bytes = 8;
  } else {
    return FileError(name, absl::StrCat("dtype '", array.descr,
                                        "' is not supported (only little-endian '<f2', '<f4', "
                                        "'<f8': save with .astype(np.float32))"));
  }
  if (*header->fortran_order) {
    return FileError(name,
                     "fortran_order True is not supported (save np.ascontiguousarray(x) instead)");
  }
  size_t count = 1;
  for (int64_t dim : array.shape) {
    if (__builtin_mul_overflow(count, static_cast<size_t>(dim), &count)) {
      return FileError(name, absl::StrCat("shape ", ShapeLiteral(array.shape), " overflows"));
    }
  }
  size_t data_bytes = 0;
  if (__builtin_mul_overflow(count, item_bytes, &data_bytes)) {
    return FileError(name, absl::StrCat("shape ", ShapeLiteral(array.shape), " overflows"));
  }
  const size_t data_start = header_start + header_length;
  const size_t available = bytes.size() - data_start;
  if (available != data_bytes) {
    return FileError(
        name, absl::StrCat(available < data_bytes ? "truncated data" : "extra data", ": shape ",
                           ShapeLiteral(array.shape), " of '", array.descr, "' needs ", data_bytes,
                           " bytes after the header, the file has ", available));
  }

  const char* data = bytes.data() + data_start;
  array.values.resize(count);
  for (size_t n = 0; n < count; ++n) {
    if (item_bytes == 2) {
      uint16_t bits;
      std::memcpy(&bits, data + 2 * n, 2);
      array.values[n] = HalfBitsToFloat(bits);
    } else if (item_bytes == 4) {
      std::memcpy(&array.values[n], data + 4 * n, 4);
    } else {
      double value;
      std::memcpy(&value, data + 8 * n, 8);
      array.values[n] = static_cast<float>(value);
    }
  }
  return array;
}

absl::StatusOr<NpyArray> ReadNpy(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (file == nullptr) {
    const int error = errno;
    const std::string message = absl::StrCat(path, ": cannot open: ", std::strerror(error));
    return error == ENOENT ? absl::NotFoundError(message) : absl::InvalidArgumentError(message);
  }
  std::string bytes;
  char buffer[1 << 16];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    bytes.append(buffer, read);
  }
  if (std::ferror(file.get())) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": read failed: ", std::strerror(errno)));
  }
  return ParseNpy(bytes, path);
}

absl::Status WriteNpy(const std::string& path, const std::vector<int64_t>& shape,
                      std::span<const float> values, NpyDtype dtype) {
  size_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0 || __builtin_mul_overflow(count, static_cast<size_t>(dim), &count)) {
      return FileError(path, absl::StrCat("cannot write shape ", ShapeLiteral(shape)));
    }
  }
  if (count != values.size()) {
    return FileError(path, absl::StrCat("shape ", ShapeLiteral(shape), " needs ", count,
                                        " values, got ", values.size()));
  }
  std::string header =
      absl::StrCat("{'descr': '", dtype == NpyDtype::kFloat32 ? "<f4" : "<f2",
                   "', 'fortran_order': False, 'shape': ", ShapeLiteral(shape), ", }");
  const size_t unpadded = kMagic.size() + 4 + header.size() + 1;  // + version, length, '\n'
  header.append((kHeaderAlignment - unpadded % kHeaderAlignment) % kHeaderAlignment, ' ');
  header.push_back('\n');
  if (header.size() > 0xffff) return FileError(path, "header too long for format 1.0");

  std::string bytes(kMagic);
  bytes.push_back(1);  // version 1.0
  bytes.push_back(0);
  bytes.push_back(static_cast<char>(header.size() & 0xff));
  bytes.push_back(static_cast<char>(header.size() >> 8));
  bytes += header;
  AppendValues(values, dtype, bytes);

  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
  if (file == nullptr) {
    return FileError(path, absl::StrCat("cannot create: ", std::strerror(errno)));
  }
  if (std::fwrite(bytes.data(), 1, bytes.size(), file.get()) != bytes.size() ||
      std::fclose(file.release()) != 0) {
    return FileError(path, absl::StrCat("write failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace attnserve
