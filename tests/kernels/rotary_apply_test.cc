// Pins ApplyRotaryInPlace to the rotated vectors of docs/encodings.md section 6 and checks how it
// walks [batch, seq, heads, head_dim] buffers: positions per row and batch element, and the
// untouched dims beyond rotary_dim.
#include "kernels/encoding/rotary_apply.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/api/encoding_spec.h"
#include "kernels/encoding/rotary_frequencies.h"
#include "tests/support/worked_specs.h"

namespace attnserve {
namespace {

using testing::Spec;
using testing::Yarn;

constexpr int kHeadDim = 8;
using HeadVector = std::array<double, kHeadDim>;

// rope_input.q and rope_input.k of section 6.
constexpr HeadVector kInputQuery = {0.5, -1.25, 2, 0.75, -1.5, 1, -0.25, 1.75};
constexpr HeadVector kInputKey = {1, 0.5, -0.75, -2, 0.25, 1.5, -1, 0.125};

// One '# name:' spec of section 6 with its four rotated vectors.
struct WorkedEncoding {
  std::string name;
  RotarySpec spec;
  HeadVector query_at_5, key_at_5, query_at_70000, key_at_70000;
};

std::vector<WorkedEncoding> WorkedEncodings() {
  return {
      {"default_t1e4",
       Spec({}),
       {-1.2965553192630948, -1.5764037409671687, 2.009995313107602, 0.74124066147781908,
        -0.90495541552640879, 0.27830063863511889, -0.14972922655738491, 1.7537281094205925},
       {0.52339325412901094, -0.28034702696111813, -0.69908352602554635, -2.0005999974479201,
        -0.88800872829733202, 1.5560866121376602, -1.0362346373479749, 0.1149984791698698},
       {-0.95153404674807718, -1.5844022228180537, -1.542216020920641, -0.87931929041158141,
        -1.2627679746807123, 0.2284066468586452, 1.2977171281969369, 1.6887266165694415},
       {0.7732224812050591, -0.32932142777620083, 1.1732987677739324, -1.3633747413673356,
        -0.6816355291202858, 1.5464628664172457, 0.43112643335821077, -1.4686164627299909}},
      {"default_t5e5",
       Spec({}, 500000),
       {-1.2965553192630948, -1.4148920739189452, 2.0017177524299452, 0.74953462259799741,
        -0.90495541552640879, 0.74871918578419427, -0.23585173225314629, 1.7501993742219424},
       {0.52339325412901094, 0.21080097621790611, -0.74291024119167737, -2.0000331686382866,
        -0.88800872829733202, 1.5670235953633811, -1.0052782567690024, 0.12446816599715582},
       {-0.95153404674807718, -0.98598284012914372, -0.18030127030146653, 0.33397158664522797,
        -1.2627679746807123, 1.261085976042422, -2.0074838609382835, -1.8744233724838337},
       {0.7732224812050591, 0.8321343250683908, -1.0254755342586246, 1.7402228688205736,
        -0.6816355291202858, 1.344452477792716, 0.71477264122026152, 0.99360423048308966}},
      {"default_t1e4_interleaved",
       Spec({}, 10000, 8, /*interleaved=*/true),
       {-1.05682425059731, -0.83403986916060213, 1.3955959698275928, 1.6170379986261851,
        -1.5481045598631278, 0.92378150648894874, -0.25874683854822267, 1.7487281302538999},
       {0.76312432279479558, -0.81709318193152547, 0.30066415579062655, -2.1147342777338971,
        0.17471881119272409, 1.5106201829101189, -1.0006124974218784, 0.11999845833656252},
       {-0.74566554100182991, -1.1209294808160093, 1.3438627961283371, 1.6602809356196697,
        0.71468596545773799, -1.6550601109258058, -1.5126384934978812, 0.91483593501155225},
       {0.97909098695130625, -0.53979703525558276, 0.3672607841770088, -2.1041909410520918,
        -1.0257318665152491, -1.1226638579802697, -0.73005553828103587, -0.69472578117210171}},
      {"linear_f4",
       Spec(LinearScaling{4}),
       {1.5811381102310138, -1.3649218174218887, 2.0029686706549223, 0.74781191463223773,
        0.0015087660848900897, 0.83635425049779411, -0.2249811200408923, 1.7509361325685373},
       {0.078076207556372151, 0.30908673353682287, -0.7374417325312258, -2.0001546874595131,
        1.0278152099544036, 1.5506338675366071, -1.0092966318785299, 0.12249990299480433},
       {1.5760978258556995, 1.3714797098271305, 0.99668478923368886, 1.8719254819778706,
        0.12615721672951513, -0.82555642177412014, -1.7518902451096066, -0.34769956848106442},
       {-0.0031972995813998595, -0.29683970950821315, -1.2499977594386156, -0.31692667573939903,
        1.0307714476426804, -1.553024850689479, 0.0023667273694311097, 1.9786820063377477}},
      {"ntk_a4",
       Spec(NtkScaling{4}),
       {-1.2965553192630948, -1.4983008219732334, 2.0045665903630172, 0.74781191463223773,
        -0.90495541552640879, 0.56355536274117157, -0.21026836376495103, 1.7509361325685373},
       {0.52339325412901094, 0.010704689671689027, -0.73001114675436352, -2.0001546874595131,
        -0.88800872829733202, 1.5811025930087628, -1.0146840521139473, 0.12249990299480433},
       {-0.95153404674807718, 0.28084566425099677, 0.71025917595783095, 1.8719254819778706,
        -1.2627679746807123, 1.5759523193521483, 1.8862746096387197, -0.34769956848106442},
       {0.7732224812050591, 1.5565372545096485, 0.79714504335690117, -0.31692667573939903,
        -0.6816355291202858, 0.27783407876566329, -0.96283943617382273, 1.9786820063377477}},
      {"dynamic_f2",
       Spec(DynamicNtkScaling{2, 4096}),
       {-1.2965553192630948, -1.5764037409671687, 2.009995313107602, 0.74124066147781908,
        -0.90495541552640879, 0.27830063863511889, -0.14972922655738491, 1.7537281094205925},
       {0.52339325412901094, -0.28034702696111813, -0.69908352602554635, -2.0005999974479201,
        -0.88800872829733202, 1.5560866121376602, -1.0362346373479749, 0.1149984791698698},
       {-0.95153404674807718, 1.3159006188168543, 0.24824308208340487, -1.8868738748836169,
        -1.2627679746807123, 0.91154021381254546, -2.0002188310776732, -0.2543756676289709},
       {0.7732224812050591, 1.2941740680076264, -1.1534233958367177, 0.91909509178930993,
        -0.6816355291202858, -0.90835757369914205, 0.48178259613283519, -1.7806990796450701}},
      {"yarn_llama",
       Spec(Yarn(4, 4096)),
       {-1.4762960520605377, -1.7949397026622773, 2.2850411146005873, 0.85148065867553169,
        -1.0304088744873257, 0.31688129923871189, -0.21336561990284958, 1.9936674212946206},
       {0.59595096581373475, -0.31921137722441056, -0.81797875367094597, -2.2774350039187774,
        -1.0111128775637157, 1.7718060217197196, -1.1647557940455933, 0.13948199547074741},
       {-1.0834446750901221, -1.8040470095419026, -1.7637466862612776, 2.1314294559881262,
        -1.4378247869509779, 0.26007053151688941, -1.4683784968031857, -0.39590096359597626},
       {0.88041387776362956, -0.3749750716084107, -0.24797405635209147, -0.36086204208599915,
        -0.77613027815612823, 1.7608481415567989, 1.4015185223878219, 2.2529855771212888}},
      {"yarn_deepseek",
       Spec(Yarn(40, 4096, 0.707, 0.707)),
       {-1.2965553192630948, -1.5764037409671687, 2.0057489442279741, 0.74978124414119462,
        -0.90495541552640879, 0.27830063863511889, -0.19867353303439583, 1.7500937363278808},
       {0.52339325412901094, -0.28034702696111813, -0.72413157755020519, -2.0000156093749593,
        -0.88800872829733202, 1.5560866121376602, -1.0188883444198642, 0.12474999902408855},
       {-0.95153404674807718, -1.5844022228180537, 1.7839807686692466, -1.8556599487665086,
        -1.2627679746807123, 0.2284066468586452, 0.93803657552266306, 0.42605886276884142},
       {0.7732224812050591, -0.32932142777620083, -0.043820542001411167, 0.23349386793974211,
        -0.6816355291202858, 1.5464628664172457, -1.2492316679057982, -1.9902526507040603}},
      {"yarn_mscale_only",
       Spec(Yarn(40, 4096, /*mscale=*/0.707)),
       {-1.7748389470982713, -2.1579200781113821, 2.7456455512753033, 1.0263665068004384,
        -1.2387825594488597, 0.38096238942790661, -0.27196180444307677, 2.3956822189992217},
       {0.71646671628684522, -0.38376366573899745, -0.99125498740021145, -2.7377972583080044,
        -1.2155844435863192, 2.1301082053712976, -1.3947439723965243, 0.17076876985415793},
       {-1.3025434862419643, -2.1688691034986505, 2.4420697690770834, -2.5401905346491978,
        -1.7285878583919869, 0.31266310553663645, 1.2840669605879578, 0.58322684127995417},
       {1.0584549336426932, -0.45080413264851016, -0.059985411707125347, 0.31962694115019286,
        -0.93308265897687603, 2.1169343758649175, -1.7100581712224163, -2.7244328618718607}},
      {"yarn_gptoss",
       Spec(Yarn(32, 4096, std::nullopt, std::nullopt, /*truncate=*/false), 150000),
       {-1.7459071512567015, -1.9676333055354698, 2.6939085264901212, 1.0098818844237609,
        -1.2185890629287006, 0.88028349818326723, -0.33049563414555594, 2.3565244859550867},
       {0.70478753334082045, 0.14399772325530691, -1.0068541188445674, -2.6931506305707686,
        -1.195769101463291, 2.1242447459735021, -1.3488751652960482, 0.16826648952218909},
       {-1.2813106176031894, -2.1547010099891795, 2.4852599731128238, 0.30155511387112244,
        -1.7004100053563764, 0.061183492690571661, 1.0908040059188906, 2.5460034537862177},
       {1.0412009726014853, -0.67904491262455602, -0.17733937315531223, -2.6306392832252672,
        -0.91787240170989204, 2.0179318848111421, -1.6738489104204097, -0.60092503025910204}},
      {"llama3",
       Spec(Llama3Scaling{8, 1, 4, 8192}, 500000),
       {-1.2965553192630948, -1.4148920739189452, 2.0006491703648761, 0.74994183072431742,
        -0.90495541552640879, 0.74871918578419427, -0.24475068359114588, 1.7500249285452645},
       {0.52339325412901094, 0.21080097621790611, -0.74737318973827127, -2.0000041538138142,
        -0.88800872829733202, 1.5670235953633811, -1.0019647275530423, 0.12493352123224702},
       {-0.95153404674807718, -0.98598284012914372, 0.94245486295860714, -0.11504059128125488,
        -1.2627679746807123, 1.261085976042422, -1.7816505918068428, 1.9004645911875491},
       {0.7732224812050591, 0.8321343250683908, -1.2493364303447945, -1.8434203771037647,
        -0.6816355291202858, 1.344452477792716, 0.04072448665516315, -0.78576479513822262}},
      {"longrope",
       Spec(LongRopeScaling{{1, 1.25, 1.5, 2}, {1, 2.5, 8, 24}, 4096, 32, std::nullopt}),
       {-1.5432095026939858, -1.8338528631836166, 2.3890705924596243, 0.88746847781061045,
        -1.0771123885006837, 0.51690619025755891, -0.2180597110379541, 2.0851418099398384},
       {0.62296257739074523, -0.14710987450691204, -0.85251541131570585, -2.3808406528734176,
        -1.0569417961761252, 1.8761730601117868, -1.2193273310050425, 0.14282810983350719},
       {-1.1325520486955232, 1.879054930312096, 1.9948292459530379, -1.3347542040558118,
        -1.5029945188397196, 0.31521564396954893, -1.3326157033532835, -1.8313513811996882},
       {0.92031883481104149, 0.93377959744420003, -1.3313559159450103, 2.287330441415969,
        -0.81130855759407594, -1.6339284960069747, -0.6641032237121639, -0.67595971411406142}},
      {"partial_yarn_rd4",
       Spec(Yarn(4, 4096), 10000, 4),
       {2.3452118694077191, -1.4492741715334017, 0.10004252549368187, 0.80908465897282611, -1.5, 1,
        -0.25, 1.75},
       {-0.49590844032005293, 0.64018951256057577, -1.3340989918440034, -2.2583588305062277, 0.25,
        1.5, -1, 0.125},
       {2.1982664934648186, 1.5960045992076224, 0.82319599308299041, 0.45583212805496465, -1.5, 1,
        -0.25, 1.75},
       {-0.057217884680639264, -2.0518367272625873, -1.4221362153086905, 1.1401724711526577, 0.25,
        1.5, -1, 0.125}},
  };
}

WorkedEncoding FindWorkedEncoding(const std::string& name) {
  for (WorkedEncoding& encoding : WorkedEncodings()) {
    if (encoding.name == name) return encoding;
  }
  ADD_FAILURE() << "no worked encoding " << name;
  return {};
}

// One `X.q@P` or `X.k@P` line.
struct WorkedVector {
  std::string name;
  RotarySpec spec;
  int64_t position;
  HeadVector input;
  HeadVector expected;
};

// Names the case in failure messages instead of dumping its bytes.
void PrintTo(const WorkedVector& vector, std::ostream* os) { *os << vector.name; }

std::vector<WorkedVector> WorkedVectors() {
  std::vector<WorkedVector> vectors;
  for (const WorkedEncoding& e : WorkedEncodings()) {
    vectors.push_back({e.name + "_q_at_5", e.spec, 5, kInputQuery, e.query_at_5});
    vectors.push_back({e.name + "_k_at_5", e.spec, 5, kInputKey, e.key_at_5});
    vectors.push_back({e.name + "_q_at_70000", e.spec, 70000, kInputQuery, e.query_at_70000});
    vectors.push_back({e.name + "_k_at_70000", e.spec, 70000, kInputKey, e.key_at_70000});
  }
  return vectors;
}

// Rotates `data`, a [batch, seq, heads, kHeadDim] buffer, with the request length section 1
// gives ApplyRotary: max(positions) + 1.
template <typename T>
void Rotate(std::vector<T>& data, const RotarySpec& spec, const SequenceDims& dims,
            const SequencePositions& positions) {
  int64_t max_position = 0;
  for (size_t b = 0; b < std::max<size_t>(positions.batch_offsets.size(), 1); ++b) {
    const int64_t offset = positions.batch_offsets.empty() ? 0 : positions.batch_offsets[b];
    for (int64_t position : positions.seq_positions) {
      max_position = std::max(max_position, offset + position);
    }
  }
  ApplyRotaryInPlace<T>(std::span<T>(data), dims, ComputeRotaryFrequencies(spec, max_position + 1),
                        positions);
}

class RotaryApplyWorkedVector : public ::testing::TestWithParam<WorkedVector> {};

TEST_P(RotaryApplyWorkedVector, DoubleMatchesWithinOneNanoAbsolute) {
  const WorkedVector& worked = GetParam();
  std::vector<double> data(worked.input.begin(), worked.input.end());
  Rotate(data, worked.spec, {1, 1, 1, kHeadDim}, {{}, {worked.position}});
  for (int c = 0; c < kHeadDim; ++c) {
    EXPECT_NEAR(data[c], worked.expected[c], 1e-9) << "dim " << c;
  }
}

TEST_P(RotaryApplyWorkedVector, FloatMatchesWithinOneMicroRelative) {
  const WorkedVector& worked = GetParam();
  std::vector<float> data(worked.input.begin(), worked.input.end());
  Rotate(data, worked.spec, {1, 1, 1, kHeadDim}, {{}, {worked.position}});
  for (int c = 0; c < kHeadDim; ++c) {
    EXPECT_NEAR(data[c], worked.expected[c], 1e-6 * std::abs(worked.expected[c])) << "dim " << c;
  }
}

INSTANTIATE_TEST_SUITE_P(EncodingsDoc, RotaryApplyWorkedVector,
                         ::testing::ValuesIn(WorkedVectors()),
                         [](const ::testing::TestParamInfo<WorkedVector>& info) {
                           return info.param.name;
                         });

// Concatenates head vectors into one buffer.
std::vector<double> Concatenate(const std::vector<HeadVector>& heads) {
  std::vector<double> data;
  for (const HeadVector& head : heads) data.insert(data.end(), head.begin(), head.end());
  return data;
}

void ExpectHeadsNear(const std::vector<double>& actual, const std::vector<HeadVector>& expected) {
  ASSERT_EQ(actual.size(), expected.size() * kHeadDim);
  for (size_t h = 0; h < expected.size(); ++h) {
    for (int c = 0; c < kHeadDim; ++c) {
      EXPECT_NEAR(actual[h * kHeadDim + c], expected[h][c], 1e-9) << "head " << h << " dim " << c;
    }
  }
}

TEST(RotaryApply, RotatesEveryHeadOfARowByThatRowsPosition) {
  const WorkedEncoding yarn = FindWorkedEncoding("yarn_llama");
  // [1, 2, 3, 8]: row 0 at position 5, row 1 at position 70000; heads q, k, q in each row.
  std::vector<double> data =
      Concatenate({kInputQuery, kInputKey, kInputQuery, kInputQuery, kInputKey, kInputQuery});
  Rotate(data, yarn.spec, {1, 2, 3, kHeadDim}, {{}, {5, 70000}});
  ExpectHeadsNear(data, {yarn.query_at_5, yarn.key_at_5, yarn.query_at_5, yarn.query_at_70000,
                         yarn.key_at_70000, yarn.query_at_70000});
}

TEST(RotaryApply, AddsEachBatchOffsetToTheSequencePositions) {
  const WorkedEncoding interleaved = FindWorkedEncoding("default_t1e4_interleaved");
  // [2, 1, 2, 8]: batch 0 at 0 + 5, batch 1 at 69995 + 5.
  std::vector<double> data = Concatenate({kInputKey, kInputQuery, kInputKey, kInputQuery});
  Rotate(data, interleaved.spec, {2, 1, 2, kHeadDim}, {{0, 69995}, {5}});
  ExpectHeadsNear(data, {interleaved.key_at_5, interleaved.query_at_5, interleaved.key_at_70000,
                         interleaved.query_at_70000});
}

// Partial rotary with a != 1 on random data, in both precisions and both layouts.
template <typename T>
class RotaryApplyPartial : public ::testing::Test {
 protected:
  static constexpr int kWideHeadDim = 16;
  static constexpr int kRotaryDim = 6;
  static constexpr SequenceDims kDims = {2, 3, 2, kWideHeadDim};

  static RotarySpec PartialYarn(bool interleaved) {
    return Spec(Yarn(4, 4096), 10000, kRotaryDim, interleaved);
  }
  static SequencePositions Positions() { return {{0, 123}, {0, 7, 70000}}; }

  static std::vector<T> RandomData(uint64_t seed) {
    std::mt19937_64 generator(seed);
    std::uniform_real_distribution<double> uniform(-2.0, 2.0);
    std::vector<T> data(kDims.batch * kDims.seq * kDims.heads * kDims.head_dim);
    for (T& value : data) value = static_cast<T>(uniform(generator));
    return data;
  }
};

using Precisions = ::testing::Types<float, double>;
TYPED_TEST_SUITE(RotaryApplyPartial, Precisions);

TYPED_TEST(RotaryApplyPartial, LeavesDimsBeyondRotaryDimUntouchedAndUnscaled) {
  for (bool interleaved : {false, true}) {
    SCOPED_TRACE(interleaved ? "interleaved" : "half-split");
    const RotarySpec spec = TestFixture::PartialYarn(interleaved);
    ASSERT_GT(ComputeRotaryFrequencies(spec, 1).attention_factor, 1.1);
    const std::vector<TypeParam> original = TestFixture::RandomData(17);
    std::vector<TypeParam> data = original;
    Rotate(data, spec, TestFixture::kDims, TestFixture::Positions());
    for (size_t n = 0; n < data.size(); ++n) {
      if (n % TestFixture::kWideHeadDim < TestFixture::kRotaryDim) continue;
      EXPECT_EQ(data[n], original[n]) << "element " << n;
    }
  }
}

TYPED_TEST(RotaryApplyPartial, ScalesEveryRotatedPairNormByTheAttentionFactor) {
  const double tolerance = std::is_same_v<TypeParam, float> ? 1e-6 : 1e-12;
  for (bool interleaved : {false, true}) {
    SCOPED_TRACE(interleaved ? "interleaved" : "half-split");
    const RotarySpec spec = TestFixture::PartialYarn(interleaved);
    const double factor = ComputeRotaryFrequencies(spec, 1).attention_factor;
    const std::vector<TypeParam> original = TestFixture::RandomData(29);
    std::vector<TypeParam> data = original;
    Rotate(data, spec, TestFixture::kDims, TestFixture::Positions());
    constexpr int kHalf = TestFixture::kRotaryDim / 2;
    for (size_t head = 0; head < data.size(); head += TestFixture::kWideHeadDim) {
      for (int pair = 0; pair < kHalf; ++pair) {
        const size_t first = head + (interleaved ? 2 * pair : pair);
        const size_t second = head + (interleaved ? 2 * pair + 1 : pair + kHalf);
        const double before = std::hypot(double(original[first]), double(original[second]));
        const double after = std::hypot(double(data[first]), double(data[second]));
        EXPECT_NEAR(after, factor * before, tolerance * factor * before)
            << "head offset " << head << " pair " << pair;
      }
    }
  }
}

}  // namespace
}  // namespace attnserve
