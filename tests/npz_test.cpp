// npz_test.cpp: numpy .npy/.npz I/O (src/npz.h) checked against numpy itself: the original's
// archives (stored float64 members, via TINYAD_REFERENCE), archives numpy writes at test time
// (deflated, float32, int, Fortran order, .npy version 2), and archives tinyad writes, which
// /usr/bin/python3's numpy must load bit for bit. Damaged and foreign files give clear errors.
// Values are compared bit-exactly: numpy prints them as hex floats.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "model_import.h"
#include "npz.h"
#include "test_env.h"

namespace {

namespace fs = std::filesystem;
using tinyad::NpyArray;

constexpr const char* kPython = "/usr/bin/python3";

// find_spec locates numpy without importing it (an import costs ~0.3 s; each test is a process).
bool python_has_numpy() {
  static const int rc = std::system(
      (std::string(kPython) +
       " -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec(\"numpy\") is None)' >/dev/null 2>&1")
          .c_str());
  return rc == 0;
}

#define REQUIRE_NUMPY()                                                                       \
  do {                                                                                        \
    if (!python_has_numpy())                                                                  \
      GTEST_SKIP() << kPython << " has no numpy (apt-get install python3-numpy; `make test` " \
                   << "installs it): cannot compare with numpy";                              \
  } while (0)

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Npz : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(testing::TempDir()) / ("tinyad_npz_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs a Python script with numpy; returns its stdout, fails the test on a non-zero exit.
  std::string python(const std::string& script, const std::string& args = "") {
    const std::string py = path("script.py"), out = path("out.txt"), err = path("err.txt");
    std::ofstream(py) << "import sys\nimport numpy as np\n" << script;
    const std::string cmd = std::string(kPython) + " " + py + " " + args + " >" + out + " 2>" + err;
    const int rc = std::system(cmd.c_str());
    EXPECT_EQ(rc, 0) << "python failed: " << slurp(err);
    return slurp(out);
  }

  // numpy's view of every array in each archive: name -> (dtype, shape, C-order values).
  // One Python run for all files: starting numpy costs ~0.2 s.
  std::vector<std::map<std::string, NpyArray>> numpy_load(const std::vector<std::string>& files) {
    std::string args;
    for (const auto& f : files) args += f + " ";
    const std::string text = python(R"(
for i, f in enumerate(sys.argv[1:]):
    d = np.load(f)
    for name in sorted(d.files):
        a = d[name]
        if not isinstance(a, np.ndarray):
            continue  # a member that is not an .npy array
        vals = [float(v).hex() for v in a.ravel(order='C')]
        print(i, name, a.dtype.str, ','.join(map(str, a.shape)) or '-', *vals)
)", args);
    std::vector<std::map<std::string, NpyArray>> out(files.size());
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream f(line);
      size_t index;
      std::string name, dtype, shape, v;
      f >> index >> name >> dtype >> shape;
      NpyArray a;
      a.dtype = dtype;
      if (shape != "-") {
        std::istringstream s(shape);
        for (std::string d; std::getline(s, d, ',');) a.shape.push_back(std::stoul(d));
      }
      while (f >> v) a.data.push_back(std::strtod(v.c_str(), nullptr));
      out.at(index)[name] = a;
    }
    return out;
  }
  std::map<std::string, NpyArray> numpy_load(const std::string& file) { return numpy_load(std::vector{file})[0]; }

  static void expect_same(const std::map<std::string, NpyArray>& got, const std::map<std::string, NpyArray>& want,
                          bool compare_dtype = true) {
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [name, w] : want) {
      ASSERT_TRUE(got.count(name)) << name;
      const NpyArray& g = got.at(name);
      EXPECT_EQ(g.shape, w.shape) << name;
      if (compare_dtype) {
        EXPECT_EQ(g.dtype, w.dtype) << name;
      }
      ASSERT_EQ(g.data.size(), w.data.size()) << name;
      EXPECT_EQ(std::memcmp(g.data.data(), w.data.data(), 8 * g.data.size()), 0) << name << " values differ";
    }
  }

  fs::path dir_;
};

TEST_F(Npz, ReadsTheOriginalsStoredArchives) {
  std::string ref;
  TINYAD_REQUIRE_ENV_PATH("TINYAD_REFERENCE", ref);
  const std::vector<std::string> rels = {"mahalanobis/md_model-moving.npz", "mahalanobis/md_model_test-deploy.npz",
                                         "test-samples/normal_anomaly_samples.npz",
                                         "test-samples/normal_anomaly_test_set.npz"};
  std::vector<std::string> files;
  for (const auto& rel : rels) files.push_back(ref + "/" + rel);
  const auto numpy = python_has_numpy() ? numpy_load(files) : std::vector<std::map<std::string, NpyArray>>{};
  for (size_t i = 0; i < rels.size(); ++i) {
    const std::string& rel = rels[i];
    const std::string& file = files[i];
    std::map<std::string, NpyArray> arrays;
    std::string err;
    ASSERT_TRUE(tinyad::npz_read(file, &arrays, &err)) << err;
    for (const auto& [name, a] : arrays) {
      EXPECT_EQ(a.dtype, "<f8") << rel << " " << name;
      EXPECT_EQ(a.data.size(), a.size()) << rel << " " << name;
    }
    if (rel.find("md_model") != std::string::npos) {
      ASSERT_TRUE(arrays.count("model_mu") && arrays.count("model_cov")) << rel;
      EXPECT_EQ(arrays["model_mu"].shape, std::vector<size_t>{3});
      EXPECT_EQ(arrays["model_cov"].shape, (std::vector<size_t>{3, 3}));
    }
    if (!numpy.empty()) expect_same(arrays, numpy[i]);
  }
}

TEST_F(Npz, NumpyLoadsWhatTinyadWrites) {
  REQUIRE_NUMPY();
  std::map<std::string, NpyArray> arrays;
  arrays["model_mu"] = {{3}, {0.1 + 0.2, -1.0 / 3.0, 5e-324}, "<f8"};
  arrays["model_cov"] = {{2, 3}, {1, 2, 3, 4, 5, 1.7976931348623157e308}, "<f8"};
  arrays["scalar"] = {{}, {42.5}, "<f8"};
  arrays["empty"] = {{0, 3}, {}, "<f8"};
  NpyArray big{{100, 3}, {}, "<f8"};
  for (size_t i = 0; i < 300; ++i) big.data.push_back(std::sin(double(i)) / 7);
  arrays["big"] = big;
  const std::string file = path("out.npz");
  std::string err;
  ASSERT_TRUE(tinyad::npz_write(file, arrays, &err)) << err;
  expect_same(numpy_load(file), arrays);
  // Stored, not deflated (as the original's), and nothing but the archive left behind.
  EXPECT_EQ(python(R"(
import zipfile
print(sorted((i.filename, i.compress_type) for i in zipfile.ZipFile(sys.argv[1]).infolist()))
)", file),
            "[('big.npy', 0), ('empty.npy', 0), ('model_cov.npy', 0), ('model_mu.npy', 0), ('scalar.npy', 0)]\n");
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir_))
    if (e.path().extension() != ".py" && e.path().extension() != ".txt") left.push_back(e.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"out.npz"});
  // And tinyad reads its own file back.
  std::map<std::string, NpyArray> back;
  ASSERT_TRUE(tinyad::npz_read(file, &back, &err)) << err;
  expect_same(back, arrays);
}

TEST_F(Npz, ReadsDeflatedFloat32IntAndFortranArchivesFromNumpy) {
  REQUIRE_NUMPY();
  const std::string compressed = path("c.npz"), stored = path("s.npz"), v2 = path("v2.npz");
  python(R"(
import io, zipfile
rng = np.random.default_rng(3)
arrays = {
    'f64': rng.standard_normal((3, 4)),
    'f32': (rng.standard_normal(5) / 3).astype(np.float32),
    'fortran': np.asfortranarray(rng.standard_normal((3, 4))),
    'fortran3d': np.asfortranarray(np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7),
    'fortran_f32': np.asfortranarray((rng.standard_normal((4, 2)) * 1e3).astype(np.float32)),
    'i32': np.array([-5, 0, 7, 2**31 - 1], dtype=np.int32),
    'i64': np.array([[-2**52, 3], [4, 2**53]], dtype=np.int64),
    'scalar': np.float64(2.5),
    'vec1': np.array([1.0]),
}
assert not arrays['fortran'].flags.c_contiguous
np.savez_compressed(sys.argv[1], **arrays)
np.savez(sys.argv[2], **arrays)
# .npy format version 2.0 (4-byte header length) inside a zip.
buf = io.BytesIO()
np.lib.format.write_array(buf, arrays['f64'], version=(2, 0))
with zipfile.ZipFile(sys.argv[3], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('model_cov.npy', buf.getvalue())
    z.writestr('readme.txt', 'not an array')
for f in sys.argv[1:3]:
    assert all(i.compress_type == (zipfile.ZIP_DEFLATED if 'c.npz' in f else zipfile.ZIP_STORED)
               for i in zipfile.ZipFile(f).infolist())
)", compressed + " " + stored + " " + v2);
  const auto numpy = numpy_load({compressed, stored, v2});
  for (size_t i = 0; i < 2; ++i) {
    const std::string& file = i == 0 ? compressed : stored;
    std::map<std::string, NpyArray> arrays;
    std::string err;
    ASSERT_TRUE(tinyad::npz_read(file, &arrays, &err)) << err;
    expect_same(arrays, numpy[i]);
    EXPECT_EQ(arrays["f32"].dtype, "<f4");
    EXPECT_EQ(arrays["i64"].dtype, "<i8");
    EXPECT_EQ(arrays["fortran3d"].shape, (std::vector<size_t>{2, 3, 4}));
    EXPECT_EQ(arrays["fortran3d"].data[1], 1.0 / 7);  // C order: element (0, 0, 1)
    EXPECT_TRUE(arrays["scalar"].shape.empty());
    EXPECT_EQ(arrays["scalar"].data, std::vector<double>{2.5});
  }
  std::map<std::string, NpyArray> arrays;
  std::string err;
  ASSERT_TRUE(tinyad::npz_read(v2, &arrays, &err)) << err;
  EXPECT_EQ(arrays.size(), 1u);  // readme.txt is not an array
  expect_same(arrays, numpy[2]);
}

TEST_F(Npz, UnsupportedDtypesAreNamed) {
  REQUIRE_NUMPY();
  const std::string file = path("be.npz");
  python("np.savez(sys.argv[1], a=np.arange(3, dtype='>f8'))\n"
         "np.savez(sys.argv[2], b=np.array([True, False]))\n"
         "np.savez(sys.argv[3], c=np.array([1+2j]))\n",
         file + " " + path("bool.npz") + " " + path("complex.npz"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {file, "a.npy: dtype '>f8'"}, {path("bool.npz"), "b.npy: dtype '|b1'"}, {path("complex.npz"), "c.npy: dtype '<c16'"}};
  for (const auto& [f, what] : cases) {
    std::map<std::string, NpyArray> arrays;
    std::string err;
    EXPECT_FALSE(tinyad::npz_read(f, &arrays, &err)) << f;
    EXPECT_EQ(err, f + ": " + what + " is not supported (float64, float32, int32, int64 little-endian are)");
  }
}

TEST_F(Npz, TruncatedAndForeignFilesGiveClearErrors) {
  std::map<std::string, NpyArray> arrays{{"model_mu", {{3}, {1, 2, 3}, "<f8"}}};
  std::string err;
  const std::string good = path("good.npz");
  ASSERT_TRUE(tinyad::npz_write(good, arrays, &err)) << err;
  const std::string bytes = slurp(good);
  const std::string prefix_msg = ": not a readable .npz archive (";
  auto write = [&](const std::string& name, const std::string& content) {
    std::ofstream(path(name), std::ios::binary) << content;
    return path(name);
  };
  for (size_t cut : {size_t(0), size_t(10), bytes.size() / 2, bytes.size() - 1}) {
    const std::string f = write("cut.npz", bytes.substr(0, cut));
    std::map<std::string, NpyArray> got;
    EXPECT_FALSE(tinyad::npz_read(f, &got, &err)) << cut;
    EXPECT_TRUE(err.starts_with(f + prefix_msg)) << cut << ": " << err;
  }
  for (const std::string content : {"model_mu,1,2,3\n", "{\"format\": \"tinyad-model\"}"}) {
    const std::string f = write("foreign.npz", content);
    std::map<std::string, NpyArray> got;
    EXPECT_FALSE(tinyad::npz_read(f, &got, &err));
    EXPECT_TRUE(err.starts_with(f + prefix_msg)) << err;
  }
  std::map<std::string, NpyArray> got;
  EXPECT_FALSE(tinyad::npz_read(path("absent.npz"), &got, &err));
  EXPECT_TRUE(err.starts_with(path("absent.npz") + prefix_msg)) << err;
}

TEST_F(Npz, DamagedMembersGiveClearErrors) {
  REQUIRE_NUMPY();
  const std::string f1 = path("garbage.npz"), f2 = path("short.npz");
  python(R"(
import io, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('model_mu.npy', b'hello, not an array')
buf = io.BytesIO()
np.save(buf, np.arange(100, dtype=np.float64))
with zipfile.ZipFile(sys.argv[2], 'w') as z:
    z.writestr('model_mu.npy', buf.getvalue()[:-16])
)", f1 + " " + f2);
  std::map<std::string, NpyArray> got;
  std::string err;
  EXPECT_FALSE(tinyad::npz_read(f1, &got, &err));
  EXPECT_EQ(err, f1 + ": model_mu.npy: not a .npy array (no \\x93NUMPY magic)");
  EXPECT_FALSE(tinyad::npz_read(f2, &got, &err));
  EXPECT_EQ(err, f2 + ": model_mu.npy: truncated .npy data: 784 bytes for 100 values");
}

TEST_F(Npz, ImpossibleMemberSizeIsAnErrorNotAnAllocation) {
  // A zip whose directory claims a ~4 GB member: refused before any allocation.
  std::map<std::string, NpyArray> arrays{{"model_mu", {{3}, {1, 2, 3}, "<f8"}}};
  std::string err;
  const std::string good = path("good.npz");
  ASSERT_TRUE(tinyad::npz_write(good, arrays, &err)) << err;
  std::string bytes = slurp(good);
  const size_t cd = bytes.find(std::string("PK\x01\x02", 4));
  ASSERT_NE(cd, std::string::npos);
  for (int i = 0; i < 4; ++i) bytes[cd + 24 + size_t(i)] = char(i == 3 ? 0xF0 : 0x00);  // uncompressed size
  const std::string bad = path("huge.npz");
  std::ofstream(bad, std::ios::binary) << bytes;
  std::map<std::string, NpyArray> got;
  EXPECT_FALSE(tinyad::npz_read(bad, &got, &err));
  EXPECT_EQ(err, bad + ": model_mu.npy: member of 4026531840 bytes is larger than 1 GiB");
}

TEST_F(Npz, MemberNamesInAnImportErrorStayOnOneLine) {
  // Found by fuzz_npz: a member named with a newline was listed raw in the
  // "no 'model_cov' array (has: ...)" refusal, which then spanned lines.
  std::map<std::string, NpyArray> arrays{{"model_mu", {{3}, {1, 2, 3}, "<f8"}},
                                         {"m\n--\n_cov", {{1}, {1}, "<f8"}}};
  std::string err;
  const std::string file = path("names.npz");
  ASSERT_TRUE(tinyad::npz_write(file, arrays, &err)) << err;
  tinyad::Model m;
  std::vector<std::string> warnings;
  EXPECT_FALSE(tinyad::model_import(file, tinyad::ImportOptions{}, &m, &warnings, &err));
  EXPECT_EQ(err, file + ": no 'model_cov' array (has: m\\x0a--\\x0a_cov, model_mu); expected the original's "
                        "Mahalanobis model");
}

TEST_F(Npz, WriteRefusesInconsistentArraysAndBadPaths) {
  std::string err;
  std::map<std::string, NpyArray> bad{{"x", {{2, 2}, {1, 2, 3}, "<f8"}}};
  EXPECT_FALSE(tinyad::npz_write(path("x.npz"), bad, &err));
  EXPECT_EQ(err, path("x.npz") + ": array 'x' has shape for 4 values but 3 values");
  std::map<std::string, NpyArray> good{{"x", {{1}, {1}, "<f8"}}};
  EXPECT_FALSE(tinyad::npz_write(path("no/such/dir/x.npz"), good, &err));
  EXPECT_TRUE(err.starts_with(path("no/such/dir/x.npz") + ": ")) << err;
  EXPECT_TRUE(fs::is_empty(dir_));
}

// ----------------------------------------------------------------------------- npy_parse

TEST(Npy, FormatParseRoundTrip) {
  const NpyArray a{{2, 2}, {1.5, -0.0, 1e-310, 3}, "<f8"};
  const std::string bytes = tinyad::npy_format(a);
  EXPECT_EQ((bytes.size() - 32) % 64, 0u);  // header padded to 64 bytes as numpy does; 32 data bytes
  NpyArray b;
  std::string err;
  ASSERT_TRUE(tinyad::npy_parse(bytes, &b, &err)) << err;
  EXPECT_EQ(b.shape, a.shape);
  EXPECT_EQ(b.dtype, "<f8");
  EXPECT_EQ(std::memcmp(a.data.data(), b.data.data(), 32), 0);
}

TEST(Npy, EveryTruncationFailsCleanly) {
  const NpyArray a{{3, 2}, {1, 2, 3, 4, 5, 6}, "<f8"};
  const std::string bytes = tinyad::npy_format(a);
  for (size_t n = 0; n < bytes.size(); ++n) {
    NpyArray b;
    std::string err;
    EXPECT_FALSE(tinyad::npy_parse(bytes.substr(0, n), &b, &err)) << n;
    EXPECT_FALSE(err.empty()) << n;
  }
}

std::string npy_with_header(const std::string& header, const std::string& data = std::string(24, '\0')) {
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  return out + header + data;
}

TEST(Npy, MalformedHeadersAreErrorsNotCrashes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{'descr':, 'fortran_order': False, 'shape': (3,), }", "malformed .npy header"},
      {"{'descr': 5, 'fortran_order': False, 'shape': (3,), }", "malformed .npy header"},
      {"{'fortran_order': False, 'shape': (3,), }", "malformed .npy header"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (3,x), }", "malformed .npy header"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (3,", "malformed .npy header"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape':", "malformed .npy header"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", "malformed .npy header"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", "malformed .npy header"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", "truncated .npy data: 24 bytes for 4 values"},
      {"{'descr': '<u2', 'fortran_order': False, 'shape': (3,), }", "dtype '<u2' is not supported"},
  };
  for (const auto& [header, message] : cases) {
    NpyArray a;
    std::string err;
    EXPECT_FALSE(tinyad::npy_parse(npy_with_header(header), &a, &err)) << header;
    EXPECT_TRUE(err.starts_with(message)) << header << " -> " << err;
  }
  NpyArray a;
  std::string err;
  EXPECT_FALSE(tinyad::npy_parse(std::string("\x93NUMPY\x04\x00\x00\x00", 10), &a, &err));
  EXPECT_EQ(err, ".npy format version 4 is not supported (1, 2, 3 are)");
  EXPECT_FALSE(tinyad::npy_parse("just text, long enough", &a, &err));
  EXPECT_EQ(err, "not a .npy array (no \\x93NUMPY magic)");
  // The header that works, for contrast.
  ASSERT_TRUE(tinyad::npy_parse(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"), &a, &err))
      << err;
  EXPECT_EQ(a.data, (std::vector<double>{0, 0, 0}));
}

}  // namespace
