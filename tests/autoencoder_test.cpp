// autoencoder_test.cpp: the autoencoder trainer and scorer. Backprop is
// checked against central finite differences, Adam against its formula
// written out here, the core scorer against a plain Eigen forward pass, the
// int8 rescale against double arithmetic. Synthetic data only: fast.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "autoencoder.h"
#include "autoencoder_train.h"
#include "model.h"
#include "rng.h"
#include "tinyad_dense.h"
#include "test_random.h"

namespace tinyad {
namespace {

using test::random_matrix;

std::vector<DenseLayer> random_net(const std::vector<int>& sizes, uint64_t seed) {
  std::vector<DenseLayer> layers;
  for (size_t k = 0; k + 1 < sizes.size(); ++k) {
    DenseLayer l;
    l.weights = random_matrix(sizes[k + 1], sizes[k], seed + k, 0.8);
    l.bias = random_matrix(sizes[k + 1], 1, seed + 100 + k, 0.3);
    l.activation = k + 2 < sizes.size() ? TINYAD_ACT_RELU : TINYAD_ACT_LINEAR;
    layers.push_back(l);
  }
  return layers;
}

// Windows from 2 latent factors in 6 features, plus a little noise: an
// autoencoder with a 2-unit bottleneck can reconstruct them.
Eigen::MatrixXd low_rank_data(Eigen::Index n, uint64_t seed) {
  const Eigen::MatrixXd mix = random_matrix(2, 6, 7);
  Eigen::MatrixXd latent = random_matrix(n, 2, seed, 2.0);
  return latent * mix + random_matrix(n, 6, seed + 1, 0.01) + Eigen::MatrixXd::Constant(n, 6, 5.0);
}

TEST(Autoencoder, GradientMatchesFiniteDifferences) {
  const std::vector<DenseLayer> net = random_net({5, 4, 2, 4, 5}, 11);
  const Eigen::MatrixXd Z = random_matrix(5, 7, 3);  // (d, batch)
  // Fixed dropout masks on the hidden layers (0 or 1/keep), as in training.
  std::vector<Eigen::MatrixXd> masks;
  Rng rng(5);
  for (int units : {4, 2, 4}) {
    Eigen::MatrixXd m(units, 7);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.uniform() < 0.25 ? 0.0 : 1.0 / 0.75;
    masks.push_back(m);
  }
  std::vector<DenseLayer> grads;
  autoencoder_loss_grad(net, Z, masks, &grads);
  const double h = 1e-6;
  size_t checked = 0;
  for (size_t k = 0; k < net.size(); ++k) {
    for (int which = 0; which < 2; ++which) {
      const Eigen::Index count = which == 0 ? net[k].weights.size() : net[k].bias.size();
      for (Eigen::Index i = 0; i < count; ++i) {
        std::vector<DenseLayer> plus = net, minus = net;
        (which == 0 ? plus[k].weights.data() : plus[k].bias.data())[i] += h;
        (which == 0 ? minus[k].weights.data() : minus[k].bias.data())[i] -= h;
        const double numeric =
            (autoencoder_loss_grad(plus, Z, masks, nullptr) - autoencoder_loss_grad(minus, Z, masks, nullptr)) /
            (2 * h);
        const double analytic = (which == 0 ? grads[k].weights.data() : grads[k].bias.data())[i];
        EXPECT_NEAR(analytic, numeric, 1e-7 + 1e-5 * std::abs(numeric)) << "layer " << k << (which ? " bias " : " weight ") << i;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, size_t(5 * 4 + 4 + 4 * 2 + 2 + 2 * 4 + 4 + 4 * 5 + 5));
}

TEST(Autoencoder, AdamFollowsKerasUpdate) {
  AdamOptions o;  // Keras defaults
  EXPECT_DOUBLE_EQ(o.learning_rate, 0.001);
  EXPECT_DOUBLE_EQ(o.beta1, 0.9);
  EXPECT_DOUBLE_EQ(o.beta2, 0.999);
  EXPECT_DOUBLE_EQ(o.epsilon, 1e-7);
  double p[2] = {1.0, -2.0}, m[2] = {0, 0}, v[2] = {0, 0};
  const double g1[2] = {0.5, -0.001}, g2[2] = {-0.25, 0.002};
  adam_step(p, g1, m, v, 2, 1, o);
  adam_step(p, g2, m, v, 2, 2, o);
  for (int i = 0; i < 2; ++i) {
    // Written out: two steps of m, v and the bias-corrected rate.
    double pm = 0, pv = 0, q = i == 0 ? 1.0 : -2.0;
    const double gs[2] = {g1[i], g2[i]};
    for (int t = 1; t <= 2; ++t) {
      pm = 0.9 * pm + 0.1 * gs[t - 1];
      pv = 0.999 * pv + 0.001 * gs[t - 1] * gs[t - 1];
      q -= 0.001 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t)) * pm / (std::sqrt(pv) + 1e-7);
    }
    EXPECT_NEAR(p[i], q, 1e-15);
  }
}

TEST(Autoencoder, CoreScoreMatchesEigenForward) {
  AutoencoderModel m;
  m.layers = random_net({6, 3, 6}, 21);
  m.input_mean = random_matrix(6, 1, 1);
  m.input_scale = random_matrix(6, 1, 2).cwiseAbs().array() + 0.5;
  const Eigen::MatrixXd X = random_matrix(9, 6, 4, 3.0);
  const Eigen::VectorXd core = autoencoder_scores(m, X);
  const auto acts = autoencoder_activations(m, X);  // Eigen, rows are windows
  const Eigen::MatrixXd Z = ((X.rowwise() - m.input_mean.transpose()).array().rowwise() /
                             m.input_scale.transpose().array()).matrix();
  for (Eigen::Index r = 0; r < X.rows(); ++r) {
    const double expected = (Z.row(r) - acts.back().row(r)).squaredNorm() / 6.0;
    EXPECT_NEAR(core[r], expected, 1e-12 * (1 + expected));
  }
  // The float path of the core agrees to float precision.
  const auto v = autoencoder_view<float>(m);
  ASSERT_EQ(tinyad_autoencoder_check(&v->net), TINYAD_STATUS_OK);
  std::vector<float> x(6), scratch(tinyad_autoencoder_scratch_size(&v->net));
  for (int i = 0; i < 6; ++i) x[size_t(i)] = float(X(0, i));
  float s = 0;
  ASSERT_EQ(tinyad_autoencoder_score(&v->net, x.data(), 6, scratch.data(), scratch.size(), &s), TINYAD_STATUS_OK);
  EXPECT_NEAR(s, core[0], 1e-5 * (1 + core[0]));
  EXPECT_EQ(tinyad_autoencoder_score(&v->net, x.data(), 5, scratch.data(), scratch.size(), &s),
            TINYAD_STATUS_SIZE_MISMATCH);
  EXPECT_EQ(tinyad_autoencoder_score(&v->net, x.data(), 6, scratch.data(), 3, &s), TINYAD_STATUS_BUFFER_TOO_SMALL);
}

TEST(Autoencoder, TrainingIsDeterministicAndLearns) {
  const Eigen::MatrixXd X = low_rank_data(300, 1), V = low_rank_data(80, 2);
  AutoencoderTrainOptions o;
  o.hidden = {16, 4, 16};  // 4 ReLU units carry a signed 2-D latent (positive and negative parts)
  o.dropout = 0.0;
  o.epochs = 300;
  o.batch_size = 32;
  o.patience = 30;
  o.seed = 42;
  AutoencoderModel a, b, c;
  AutoencoderTrainReport ra, rb, rc;
  std::string err;
  ASSERT_TRUE(autoencoder_train(X, V, o, &a, &ra, &err)) << err;
  ASSERT_TRUE(autoencoder_train(X, V, o, &b, &rb, &err)) << err;
  for (size_t k = 0; k < a.layers.size(); ++k) EXPECT_EQ(a.layers[k].weights, b.layers[k].weights);
  EXPECT_EQ(ra.val_loss, rb.val_loss);
  o.seed = 43;
  ASSERT_TRUE(autoencoder_train(X, V, o, &c, &rc, &err)) << err;
  EXPECT_NE(a.layers[0].weights, c.layers[0].weights);
  // It learned: validation MSE (standardised units, 1.0 = predicting the mean) drops well below 1.
  EXPECT_LT(ra.val_loss[size_t(ra.best_epoch - 1)], 0.1);
  EXPECT_GT(ra.val_loss.front(), ra.val_loss[size_t(ra.best_epoch - 1)]);
  // Standardisation is stored: means of the training features.
  EXPECT_NEAR(a.input_mean[0], X.col(0).mean(), 1e-12);
  // Off-manifold windows score far higher than held-out normal ones.
  Eigen::MatrixXd odd = V;
  odd.col(0).array() += 3.0 * a.input_scale[0];
  EXPECT_GT(autoencoder_scores(a, odd).minCoeff(), 3 * autoencoder_scores(a, V).maxCoeff());
}

TEST(Autoencoder, EarlyStoppingKeepsBestEpoch) {
  const Eigen::MatrixXd X = low_rank_data(100, 3), V = low_rank_data(40, 4);
  AutoencoderTrainOptions o;
  o.hidden = {4};
  o.dropout = 0.0;
  o.epochs = 3000;
  o.batch_size = 16;
  o.patience = 5;
  o.adam.learning_rate = 0.01;
  AutoencoderModel m;
  AutoencoderTrainReport r;
  std::string err;
  ASSERT_TRUE(autoencoder_train(X, V, o, &m, &r, &err)) << err;
  ASSERT_TRUE(r.stopped_early);
  EXPECT_EQ(r.epochs_run - r.best_epoch, 5);
  // The kept weights are the best epoch's: their validation MSE is that epoch's.
  const double best = r.val_loss[size_t(r.best_epoch - 1)];
  EXPECT_NEAR(autoencoder_scores(m, V).mean(), best, 1e-12 * (1 + best));
  for (double v : r.val_loss) EXPECT_GE(v, best);
}

TEST(Autoencoder, DeadUnitsAreReported) {
  AutoencoderModel m;
  m.layers = random_net({3, 2, 3}, 5);
  m.layers[0].bias[1] = -1e6;  // unit 1 of layer 1 never fires
  autoencoder_set_identity_input(&m, 3);
  const auto dead = autoencoder_dead_units(m, random_matrix(20, 3, 9));
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0], "layer 1 unit 1");
}

TEST(Autoencoder, ModelJsonRoundTripAndErrors) {
  Model m;
  std::string err;
  ASSERT_TRUE(recipe_named("original", &m.recipe, &err));
  m.detector = AutoencoderModel();
  std::get<AutoencoderModel>(m.detector).layers = random_net({3, 2, 3}, 8);
  std::get<AutoencoderModel>(m.detector).input_mean = Eigen::Vector3d(1, 2, 3);
  std::get<AutoencoderModel>(m.detector).input_scale = Eigen::Vector3d(0.5, 1, 2);
  m.threshold.method = "fixed";
  m.threshold.value = 0.7;
  nlohmann::json j = model_to_json(m);
  EXPECT_EQ(j["detector"]["type"], "autoencoder");
  EXPECT_EQ(j["version"], 1);
  Model back;
  ASSERT_TRUE(model_from_json(j, &back, &err)) << err;
  EXPECT_STREQ(detector_name(back), "autoencoder");
  EXPECT_EQ(std::get<AutoencoderModel>(back.detector).layers[1].weights, std::get<AutoencoderModel>(m.detector).layers[1].weights);
  EXPECT_EQ(std::get<AutoencoderModel>(back.detector).input_scale, std::get<AutoencoderModel>(m.detector).input_scale);
  const Eigen::MatrixXd X = random_matrix(4, 3, 1);
  EXPECT_EQ(model_scores(back, X), model_scores(m, X));

  nlohmann::json bad = j;
  bad["detector"]["layers"][0]["activation"] = "tanh";
  EXPECT_FALSE(model_from_json(bad, &back, &err));
  EXPECT_NE(err.find("tanh"), std::string::npos) << err;
  bad = j;
  bad["detector"]["layers"][1]["weights"].erase(0);  // 2 outputs for 3 inputs
  EXPECT_FALSE(model_from_json(bad, &back, &err));
  bad = j;
  bad["detector"]["input_scale"][0] = 0.0;
  EXPECT_FALSE(model_from_json(bad, &back, &err));
  EXPECT_NE(err.find("scale"), std::string::npos) << err;
}

TEST(Autoencoder, LayerSizesParse) {
  std::vector<int> sizes;
  std::string err;
  ASSERT_TRUE(parse_layer_sizes("8,2,8", &sizes, &err));
  EXPECT_EQ(sizes, (std::vector<int>{8, 2, 8}));
  EXPECT_FALSE(parse_layer_sizes("8,,8", &sizes, &err));
  EXPECT_FALSE(parse_layer_sizes("8,x", &sizes, &err));
  EXPECT_FALSE(parse_layer_sizes("0", &sizes, &err));
}

TEST(Autoencoder, Int8RescaleMatchesDoubleArithmetic) {
  std::mt19937_64 gen(1);
  std::uniform_real_distribution<double> real(1e-6, 0.99), mag(-1.0, 1.0);
  for (int t = 0; t < 20000; ++t) {
    const double r = real(gen) * (t % 3 == 0 ? 4.0 : 1.0);
    int32_t mult, shift;
    tinyad_quantize_multiplier(r, &mult, &shift);
    const double represented = double(mult) * std::ldexp(1.0, shift - 31);
    ASSERT_NEAR(represented, r, r * 1e-9);
    const int32_t x = int32_t(mag(gen) * 1e6);
    const double exact = double(x) * represented;
    const int32_t got = tinyad_multiply_by_quantized_multiplier(x, mult, shift);
    // Two roundings (the Q31 product, then the shift) stay within one step.
    ASSERT_LE(std::abs(double(got) - exact), 1.0) << x << " * " << r;
  }
  EXPECT_EQ(tinyad_quantize_int8<float>(0.5f, 1.0f, 0), 1);    // ties away from zero
  EXPECT_EQ(tinyad_quantize_int8<float>(-0.5f, 1.0f, 0), -1);
  EXPECT_EQ(tinyad_quantize_int8<float>(1000.f, 1.0f, 3), 127);  // saturates
  EXPECT_EQ(tinyad_quantize_int8<float>(2.f, 0.5f, -10), -6);
  EXPECT_FLOAT_EQ(tinyad_dequantize_int8<float>(-6, 0.5f, -10), 2.f);
}

}  // namespace
}  // namespace tinyad
