#include "client/npy/npy.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/numeric/half_float.h"

namespace attnserve {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/npy_test_", name);
}

std::string ReadBytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// An .npy file of format `major`.0 as numpy lays it out: magic, version, little-endian header
// length (2 bytes for 1.0, 4 otherwise), `header` padded with spaces and '\n', then `data`.
std::string NpyBytes(int major, const std::string& header, const std::string& data) {
  const size_t length_bytes = major == 1 ? 2 : 4;
  std::string padded = header;
  while ((6 + 2 + length_bytes + padded.size() + 1) % 64 != 0) padded.push_back(' ');
  padded.push_back('\n');
  std::string bytes("\x93NUMPY", 6);
  bytes.push_back(static_cast<char>(major));
  bytes.push_back(0);
  for (size_t i = 0; i < length_bytes; ++i) {
    bytes.push_back(static_cast<char>((padded.size() >> (8 * i)) & 0xff));
  }
  return bytes + padded + data;
}

template <typename T>
std::string RawBytes(const std::vector<T>& values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

TEST(Npy, Float32RoundTripIsExact) {
  const std::string path = TempPath("f4.npy");
  const std::vector<float> values = {0.1f, -2.5f, 3e-20f, 1e30f, -0.0f, 7.0f};
  ASSERT_TRUE(WriteNpy(path, {2, 3}, values, NpyDtype::kFloat32).ok());
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(array->shape, ElementsAre(2, 3));
  EXPECT_EQ(array->descr, "<f4");
  EXPECT_EQ(array->values, values);
}

TEST(Npy, Float16RoundTripRoundsToNearestHalf) {
  const std::string path = TempPath("f2.npy");
  const std::vector<float> values = {0.5f, -1.25f, 1024.0f, 0.1f};
  ASSERT_TRUE(WriteNpy(path, {4}, values, NpyDtype::kFloat16).ok());
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(array->shape, ElementsAre(4));
  EXPECT_EQ(array->descr, "<f2");
  EXPECT_THAT(array->values,
              ElementsAre(0.5f, -1.25f, 1024.0f, HalfBitsToFloat(FloatToHalfBits(0.1f))));
  EXPECT_NE(array->values[3], 0.1f);
}

TEST(Npy, WritesVersion1HeaderAlignedTo64Bytes) {
  const std::string path = TempPath("header.npy");
  ASSERT_TRUE(WriteNpy(path, {5}, std::vector<float>(5, 1.0f), NpyDtype::kFloat32).ok());
  const std::string bytes = ReadBytes(path);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header_length = static_cast<unsigned char>(bytes[8]) |
                               static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8;
  EXPECT_EQ((10 + header_length) % 64, 0u);
  const std::string header = bytes.substr(10, header_length);
  EXPECT_THAT(header, HasSubstr("'descr': '<f4'"));
  EXPECT_THAT(header, HasSubstr("'fortran_order': False"));
  EXPECT_THAT(header, HasSubstr("'shape': (5,)"));
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(bytes.size(), 10 + header_length + 5 * 4);
}

TEST(Npy, ZeroDimensionalArrayHoldsOneValue) {
  const std::string path = TempPath("scalar.npy");
  ASSERT_TRUE(WriteNpy(path, {}, std::vector<float>{3.5f}, NpyDtype::kFloat32).ok());
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_TRUE(array->shape.empty());
  EXPECT_THAT(array->values, ElementsAre(3.5f));
}

TEST(Npy, ReadsFloat64NarrowedToFloat) {
  const std::string path = TempPath("f8.npy");
  const std::vector<double> values = {0.1, -1e-3, 123456789.125};
  WriteBytes(path, NpyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                            RawBytes(values)));
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_EQ(array->descr, "<f8");
  EXPECT_THAT(array->values, ElementsAre(static_cast<float>(0.1), static_cast<float>(-1e-3),
                                         static_cast<float>(123456789.125)));
}

TEST(Npy, ReadsVersion2Header) {
  const std::string path = TempPath("v2.npy");
  const std::vector<float> values = {1, 2, 3, 4, 5, 6};
  WriteBytes(path, NpyBytes(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                            RawBytes(values)));
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(array->shape, ElementsAre(3, 2));
  EXPECT_EQ(array->values, values);
}

TEST(Npy, AcceptsHeaderKeysInAnyOrder) {
  const std::string path = TempPath("order.npy");
  WriteBytes(path, NpyBytes(1, "{\"shape\": (1,1), \"fortran_order\": False, \"descr\": \"<f4\"}",
                            RawBytes(std::vector<float>{2.0f})));
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(array->shape, ElementsAre(1, 1));
  EXPECT_THAT(array->values, ElementsAre(2.0f));
}

TEST(Npy, RejectsFortranOrder) {
  const std::string path = TempPath("fortran.npy");
  WriteBytes(path, NpyBytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                            RawBytes(std::vector<float>{1, 2, 3, 4})));
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  ASSERT_FALSE(array.ok());
  EXPECT_THAT(array.status().message(), HasSubstr(path));
  EXPECT_THAT(array.status().message(), HasSubstr("fortran_order"));
}

TEST(Npy, RejectsTruncatedData) {
  const std::string path = TempPath("truncated.npy");
  WriteBytes(path, NpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                            RawBytes(std::vector<float>{1, 2, 3, 4, 5})));
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  ASSERT_FALSE(array.ok());
  EXPECT_THAT(array.status().message(), HasSubstr(path));
  EXPECT_THAT(array.status().message(), HasSubstr("truncated data"));
}

TEST(Npy, RejectsTruncatedHeader) {
  const std::string path = TempPath("truncated_header.npy");
  const std::string bytes =
      NpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "");
  WriteBytes(path, bytes.substr(0, 30));
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  ASSERT_FALSE(array.ok());
  EXPECT_THAT(array.status().message(), HasSubstr("truncated header"));
}

TEST(Npy, RejectsBadMagic) {
  const std::string path = TempPath("magic.npy");
  std::string bytes = NpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
                               RawBytes(std::vector<float>{1}));
  bytes[1] = 'X';
  WriteBytes(path, bytes);
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  ASSERT_FALSE(array.ok());
  EXPECT_THAT(array.status().message(), HasSubstr(path));
  EXPECT_THAT(array.status().message(), HasSubstr("bad magic"));
}

TEST(Npy, RejectsUnsupportedDtypes) {
  for (const std::string descr : {"<i4", ">f4", "<c8"}) {
    const std::string path = TempPath("dtype.npy");
    WriteBytes(path, NpyBytes(1,
                              absl::StrCat("{'descr': '", descr,
                                           "', 'fortran_order': False, 'shape': (1,), }"),
                              std::string(8, '\0')));
    absl::StatusOr<NpyArray> array = ReadNpy(path);
    ASSERT_FALSE(array.ok()) << descr;
    EXPECT_THAT(array.status().message(), HasSubstr(descr));
  }
}

TEST(Npy, MissingFileIsNotFoundAndNamed) {
  const std::string path = TempPath("does_not_exist.npy");
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(array.status().message(), HasSubstr(path));
}

TEST(Npy, WriteRejectsValueCountNotMatchingShape) {
  const absl::Status status =
      WriteNpy(TempPath("mismatch.npy"), {2, 2}, std::vector<float>{1, 2, 3}, NpyDtype::kFloat32);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("needs 4 values, got 3"));
}

TEST(Npy, WriteToUnwritablePathFailsNamingIt) {
  const std::string path = TempPath("no_such_dir/out.npy");
  const absl::Status status = WriteNpy(path, {1}, std::vector<float>{1}, NpyDtype::kFloat32);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr(path));
}

}  // namespace
}  // namespace attnserve
