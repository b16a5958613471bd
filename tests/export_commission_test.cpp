// export_commission_test.cpp: `tinyad export --commission K` (the MCU
// self-test's commissioning results, docs/commissioning.md). The header's
// float threshold, scores and verdicts must be what `serve --commission K`
// computes in double for the same windows in the same order (the device
// matches the header bit for bit: mcu_selftest); refusals: an autoencoder,
// K not below the normal windows read, K < 3.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "device_baselines.h"
#include "inference_service.h"
#include "model.h"
#include "serve_fixture.h"

namespace tinyad {
namespace {

using test::kFault;
using test::kNormal;

class ExportCommission : public test::SimulatedModelTest<ExportCommission> {
 public:
  static constexpr test::SimulatedModelOptions kSimulated{"tinyad-export-commission-test", 12, 3, true};
};

std::string read_text(const std::string& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The numbers of `static const float NAME[...] = {...};` (or a scalar).
std::vector<double> floats_of(const std::string& header, const std::string& name) {
  std::smatch m;
  const std::regex decl(name + R"((\[[^\]]*\])? = \{?([^;}]*)\}?;)");
  EXPECT_TRUE(std::regex_search(header, m, decl)) << name;
  std::vector<double> v;
  const std::regex number(R"([-+0-9.eE]+)");
  const std::string body = m[2].str();
  for (std::sregex_iterator it(body.begin(), body.end(), number), end; it != end; ++it) v.push_back(std::stod(it->str()));
  return v;
}

TEST_F(ExportCommission, MatchesServeAndRefusesWhatCannotWork) {
  const int k = 4, normal = 8;
  const std::string dir = path("gen"), data = path("data");
  test::CliRun r = test::tinyad("export " + path("model.json") + " " + dir + " --to c --data " + data + " --normal " +
                                kNormal + " --anomaly " + kFault + " --windows " + std::to_string(normal) +
                                " --commission " + std::to_string(k));
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string header = read_text(dir + "/tinyad_test_windows.h");
  ASSERT_NE(header.find("#define TINYAD_TEST_COMMISSION_WINDOWS 4\n"), std::string::npos);
  EXPECT_NE(read_text(dir + "/tinyad_model.h").find("tinyad_model_fleet_sd["), std::string::npos);
  const std::vector<double> threshold = floats_of(header, "tinyad_test_commission_threshold_f");
  const std::vector<double> scores = floats_of(header, "tinyad_test_commission_score_f");
  const std::vector<double> flags = floats_of(header, "tinyad_test_commission_anomaly");
  ASSERT_EQ(threshold.size(), 1u);
  ASSERT_EQ(scores.size(), size_t(2 * normal));
  ASSERT_EQ(flags.size(), size_t(2 * normal));

  // serve's commissioning (double) on the same windows in the export's order:
  // the kNormal files in file order, then the kFault ones.
  Model m;
  std::string err;
  ASSERT_TRUE(model_load(path("model.json"), &m, &err)) << err;
  BaselineOptions bo;
  bo.commission = k;
  const auto& fleet = std::get<MahalanobisModel>(m.detector);
  for (Eigen::Index i = 0; i < fleet.covariance.rows(); ++i) bo.fleet_sd.push_back(std::sqrt(fleet.covariance(i, i)));
  InferenceOptions io;
  io.baselines = std::make_shared<DeviceBaselines>(m.recipe, bo);
  InferenceService svc(m, io);
  svc.set_ready(true);
  for (int w = 0; w < 2 * normal; ++w) {
    const std::string file = w < normal ? window(kNormal, w) : window(kFault, w - normal);
    const HttpResponse resp = svc.handle(test::request("POST", "/", body(file), {{"x-device-id", "d"}}),
                                         HttpPeer{"127.0.0.1:9"});
    ASSERT_EQ(resp.status, 200) << resp.body;
    const nlohmann::json v = nlohmann::json::parse(resp.body);
    if (w < k) {
      EXPECT_EQ(v["baseline"], "commissioning");
      EXPECT_EQ(scores[size_t(w)], 0.0);
      continue;
    }
    ASSERT_EQ(v["baseline"], "own") << v;
    EXPECT_NEAR(v["threshold"].get<double>(), threshold[0], 1e-4 * threshold[0]);
    EXPECT_NEAR(v["score"].get<double>(), scores[size_t(w)], 1e-4 * scores[size_t(w)] + 1e-6) << w;
    EXPECT_EQ(v["anomaly"].get<bool>(), flags[size_t(w)] != 0) << w;
    EXPECT_EQ(flags[size_t(w)] != 0, w >= normal) << "the data must separate: window " << w;
  }

  // Refusals, each with its reason.
  r = test::tinyad("export " + path("ae.json") + " " + dir + " --to c --data " + data + " --normal " + kNormal +
                   " --commission 4");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--commission needs a Mahalanobis model"), std::string::npos) << r.err;
  r = test::tinyad("export " + path("model.json") + " " + dir + " --to c --data " + data + " --normal " + kNormal +
                   " --anomaly " + kFault + " --windows 4 --commission 4");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--commission 4 needs more normal test windows than that; 4 were read"), std::string::npos)
      << r.err;
  r = test::tinyad("export " + path("model.json") + " " + dir + " --to c --data " + data + " --normal " + kNormal +
                   " --commission 2");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--commission"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tinyad
