#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include "nn/modules/mlp.hpp"
#include "nn/train/hdf5_dataset.hpp"
#include "nn/train/model_file.hpp"
#include "nn/train/trainer.hpp"
#include "sim/core/build_config.hpp"
#if COSMOGRAD_HAVE_HDF5
#include "sim/io/detail/hdf5_file.hpp"
#endif

namespace cnn = cosmograd::nn;
namespace fs = std::filesystem;

namespace {

// A fresh scratch directory per test, removed afterwards.
class TrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cosmograd_test_train_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// y = sin(x0) + x1 * x2 on 256 fixed points.
struct Data {
  Data() {
    torch::manual_seed(123);
    x = torch::rand({256, 3}) * 2 - 1;
    y = (torch::sin(x.select(1, 0)) + x.select(1, 1) * x.select(1, 2)).unsqueeze(1);
  }
  torch::Tensor x, y;
};

cnn::MLP make_mlp(uint64_t seed) {
  torch::manual_seed(seed);
  return cnn::MLP(cnn::MLPOptions(3, 1, {16, 16}));
}

// Loss on a random minibatch (torch's generator) scaled by a factor from trainer.rng(), so both
// random states matter; throws at `crash_at` to simulate an interrupted run.
cnn::LossFn make_loss(const Data& data, cnn::MLP model, cnn::Trainer** trainer,
                      int64_t crash_at = -1) {
  return [&data, model, trainer, crash_at](int64_t step) mutable {
    if (step == crash_at) throw std::runtime_error("simulated crash");
    const auto idx = torch::randint(data.x.size(0), {32}, torch::kLong);
    const double scale = std::uniform_real_distribution<double>(0.9, 1.1)((*trainer)->rng());
    return scale * torch::mse_loss(model(data.x.index_select(0, idx)), data.y.index_select(0, idx));
  };
}

void expect_bitwise_equal(torch::nn::Module& a, torch::nn::Module& b) {
  const auto pa = a.named_parameters();
  const auto pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) {
    EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  }
  const auto ba = a.named_buffers();
  const auto bb = b.named_buffers();
  ASSERT_EQ(ba.size(), bb.size());
  for (const auto& item : ba) EXPECT_TRUE(torch::equal(item.value(), bb[item.key()]));
}

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no exception>";
}

}  // namespace

TEST(TrainSchedule, ValuesAtKnownSteps) {
  cnn::LrSchedule s;
  s.base_lr = 1.0;
  EXPECT_DOUBLE_EQ(s(0), 1.0);
  EXPECT_DOUBLE_EQ(s(12345), 1.0);
  s.kind = cnn::ScheduleKind::cosine;
  s.total_steps = 100;
  s.min_lr = 0.0;
  EXPECT_DOUBLE_EQ(s(0), 1.0);
  EXPECT_NEAR(s(50), 0.5, 1e-15);
  EXPECT_NEAR(s(100), 0.0, 1e-15);
  EXPECT_NEAR(s(200), 0.0, 1e-15);
  s.min_lr = 0.1;
  EXPECT_NEAR(s(50), 0.55, 1e-15);
  s.warmup_steps = 10;
  s.min_lr = 0.0;
  EXPECT_DOUBLE_EQ(s(0), 0.1);
  EXPECT_DOUBLE_EQ(s(9), 1.0);
  EXPECT_DOUBLE_EQ(s(10), 1.0);
  EXPECT_NEAR(s(55), 0.5, 1e-15);
  s = cnn::LrSchedule();
  s.kind = cnn::ScheduleKind::step;
  s.base_lr = 1.0;
  s.step_size = 10;
  s.gamma = 0.5;
  EXPECT_DOUBLE_EQ(s(9), 1.0);
  EXPECT_DOUBLE_EQ(s(10), 0.5);
  EXPECT_DOUBLE_EQ(s(25), 0.25);
  EXPECT_EQ(cnn::parse_schedule("cosine"), cnn::ScheduleKind::cosine);
  EXPECT_EQ(cnn::parse_optimizer("adamw"), cnn::OptimizerKind::adamw);
  EXPECT_NE(error_of([] { cnn::parse_optimizer("sgd"); }).find("adam, adamw"), std::string::npos);
}

TEST_F(TrainTest, MlpRegressionLossDecreases) {
  const Data data;
  auto model = make_mlp(1);
  cnn::TrainerOptions opt;
  opt.schedule.base_lr = 1e-2;
  opt.max_steps = 300;
  opt.log_every = 100;
  cnn::Trainer trainer(model.ptr(), opt);
  cnn::Trainer* tp = &trainer;
  const auto full_loss = [&] {
    torch::NoGradGuard g;
    return torch::mse_loss(model(data.x), data.y).item<double>();
  };
  const double before = full_loss();
  const auto result = trainer.fit(make_loss(data, model, &tp));
  const double after = full_loss();
  EXPECT_EQ(result.steps, 300);
  EXPECT_LT(after, 0.1 * before) << before << " -> " << after;
}

// Uninterrupted K steps vs. crash after a checkpoint at k and resume: bitwise equal weights.
void check_resume(cnn::OptimizerKind kind, const std::string& ckpt) {
  const Data data;
  cnn::TrainerOptions opt;
  opt.optimizer = kind;
  opt.weight_decay = 1e-2;
  opt.schedule.kind = cnn::ScheduleKind::cosine;
  opt.schedule.base_lr = 5e-3;
  opt.schedule.warmup_steps = 3;
  opt.clip_norm = 0.05;  // small enough to clip on most steps
  opt.max_steps = 40;
  opt.seed = 7;

  auto full = make_mlp(1);
  {
    cnn::Trainer trainer(full.ptr(), opt);
    cnn::Trainer* tp = &trainer;
    EXPECT_EQ(trainer.fit(make_loss(data, full, &tp)).steps, 40);
  }

  opt.checkpoint_every = 15;
  opt.checkpoint_path = ckpt;
  {
    auto crashed = make_mlp(1);
    cnn::Trainer trainer(crashed.ptr(), opt);
    cnn::Trainer* tp = &trainer;
    EXPECT_THROW(trainer.fit(make_loss(data, crashed, &tp, /*crash_at=*/22)), std::runtime_error);
  }

  auto resumed = make_mlp(99);  // different initial weights: all state must come from the file
  cnn::Trainer trainer(resumed.ptr(), opt);
  cnn::Trainer* tp = &trainer;
  trainer.load_checkpoint(ckpt);
  EXPECT_EQ(trainer.step(), 15);
  torch::randn({5});  // disturb the global generator: the checkpoint must restore it
  trainer.load_checkpoint(ckpt);
  EXPECT_EQ(trainer.fit(make_loss(data, resumed, &tp)).steps, 40);
  expect_bitwise_equal(*full, *resumed);
}

TEST_F(TrainTest, ResumeIsBitwiseIdenticalAdam) {
  check_resume(cnn::OptimizerKind::adam, path("adam.ckpt"));
}

TEST_F(TrainTest, ResumeIsBitwiseIdenticalAdamW) {
  check_resume(cnn::OptimizerKind::adamw, path("adamw.ckpt"));
}

TEST_F(TrainTest, CheckpointLeavesNoTemporaryAndRejectsCorruptFile) {
  const Data data;
  auto model = make_mlp(1);
  cnn::TrainerOptions opt;
  opt.max_steps = 4;
  opt.checkpoint_every = 2;
  opt.checkpoint_path = path("run.ckpt");
  cnn::Trainer trainer(model.ptr(), opt);
  cnn::Trainer* tp = &trainer;
  trainer.fit(make_loss(data, model, &tp));
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "run.ckpt");
  }
  EXPECT_EQ(files, 1);
  std::ofstream(path("bad.ckpt")) << "not a checkpoint";
  EXPECT_NE(error_of([&] { trainer.load_checkpoint(path("bad.ckpt")); }).find("bad.ckpt"),
            std::string::npos);
  EXPECT_NE(error_of([&] { trainer.load_checkpoint(path("none.ckpt")); }).find("none.ckpt"),
            std::string::npos);
}

TEST_F(TrainTest, EarlyStoppingOnRisingValidationLoss) {
  const Data data;
  auto model = make_mlp(1);
  cnn::TrainerOptions opt;
  opt.max_steps = 1000;
  opt.validate_every = 5;
  opt.patience = 2;
  cnn::Trainer trainer(model.ptr(), opt);
  cnn::Trainer* tp = &trainer;
  const std::vector<double> vals = {1.0, 0.9, 1.1, 1.2, 1.3, 1.4};
  std::size_t calls = 0;
  const auto result = trainer.fit(make_loss(data, model, &tp), [&] {
    EXPECT_FALSE(torch::GradMode::is_enabled());
    return vals.at(calls++);
  });
  EXPECT_TRUE(result.stopped_early);
  EXPECT_EQ(calls, 4u);
  EXPECT_EQ(result.steps, 20);
  EXPECT_DOUBLE_EQ(result.best_val_loss, 0.9);
  EXPECT_EQ(result.best_step, 10);
}

TEST_F(TrainTest, ModelFileRoundTrip) {
  auto model = make_mlp(3);
  cnn::ModelHeader header;
  header.set("arch", "mlp");
  header.set("in_features", int64_t{3});
  header.set("out_features", int64_t{1});
  header.set("hidden", "16,16");
  header.set("train.best_loss", 0.1234567890123);
  header.set("train.steps", int64_t{40});
  const std::string file = path("model.cgm");
  cnn::save_model(file, *model, header);

  const cnn::ModelHeader read = cnn::read_model_header(file);
  EXPECT_EQ(read.get("arch"), "mlp");
  EXPECT_EQ(read.get("hidden"), "16,16");
  EXPECT_EQ(read.get_int("train.steps"), 40);
  EXPECT_EQ(read.get_double("train.best_loss"), 0.1234567890123);
  EXPECT_FALSE(read.get("cosmograd_version").empty());
  EXPECT_EQ(read.get("date").size(), 20u);

  // Rebuild from the header alone, then load the weights.
  auto rebuilt = make_mlp(4);
  rebuilt = cnn::MLP(
      cnn::MLPOptions(read.get_int("in_features"), read.get_int("out_features"), {16, 16}));
  cnn::load_model_weights(file, *rebuilt);
  expect_bitwise_equal(*model, *rebuilt);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);  // no temporary left behind
}

TEST_F(TrainTest, ModelFileErrorsNameTheFile) {
  auto model = make_mlp(3);
  cnn::ModelHeader header;
  header.set("arch", "mlp");
  const std::string file = path("model.cgm");
  cnn::save_model(file, *model, header);

  const std::string missing_key =
      error_of([&] { cnn::read_model_header(file).get_int("in_features"); });
  EXPECT_NE(missing_key.find(file), std::string::npos) << missing_key;
  EXPECT_NE(missing_key.find("'in_features'"), std::string::npos) << missing_key;

  const std::string missing = error_of([&] { cnn::read_model_header(path("none.cgm")); });
  EXPECT_NE(missing.find("none.cgm"), std::string::npos) << missing;

  std::ofstream(path("garbage.cgm")) << "\x01\x02garbage\n";
  const std::string garbage = error_of([&] { cnn::read_model_header(path("garbage.cgm")); });
  EXPECT_NE(garbage.find("garbage.cgm: not a cosmograd model file"), std::string::npos) << garbage;

  // Truncate the weights.
  const auto size = fs::file_size(file);
  fs::resize_file(file, size - 100);
  const std::string truncated = error_of([&] { cnn::load_model_weights(file, *model); });
  EXPECT_NE(truncated.find(file + ": corrupt model file (truncated"), std::string::npos)
      << truncated;
  EXPECT_NO_THROW(cnn::read_model_header(file));  // the header alone is still readable

  // Weights that do not match the architecture.
  cnn::save_model(file, *model, header);
  auto other = cnn::MLP(cnn::MLPOptions(3, 1, {8}));
  const std::string mismatch = error_of([&] { cnn::load_model_weights(file, *other); });
  EXPECT_NE(mismatch.find(file + ": cannot load model weights"), std::string::npos) << mismatch;

  EXPECT_THROW(header.set("bad=key", "x"), std::invalid_argument);
  EXPECT_THROW(header.set("key", "two\nlines"), std::invalid_argument);
}

#if COSMOGRAD_HAVE_HDF5
namespace {

// Writes float32 `data` as dataset `name` of shape `dims`.
void write_dataset(hid_t file, const std::string& name, const std::vector<hsize_t>& dims,
                   const std::vector<float>& data) {
  namespace d = cosmograd::sim::detail;
  const d::H5Id space = d::h5_dataspace(dims, name);
  d::H5Id dset = d::h5_create_dataset(file, name, H5T_IEEE_F32LE, space.get(), name);
  d::h5_check(H5Dwrite(dset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()),
              "H5Dwrite", name);
}

// N samples of C=2 channels on a 4^3 mesh: fields[i, c, ...] = 1000 i + 100 c + cell; params
// [i, p] = i + 0.1 p (P = 3) when `with_params`.
void write_collection(const std::string& path, int64_t n_samples, bool with_params) {
  namespace d = cosmograd::sim::detail;
  d::H5Id file = d::h5_create_file(path);
  std::vector<float> fields;
  for (int64_t i = 0; i < n_samples; ++i) {
    for (int c = 0; c < 2; ++c) {
      for (int cell = 0; cell < 64; ++cell) fields.push_back(1000.0f * i + 100.0f * c + cell);
    }
  }
  write_dataset(file.get(), "fields", {static_cast<hsize_t>(n_samples), 2, 4, 4, 4}, fields);
  if (with_params) {
    std::vector<float> params;
    for (int64_t i = 0; i < n_samples; ++i) {
      for (int p = 0; p < 3; ++p) params.push_back(static_cast<float>(i) + 0.1f * p);
    }
    write_dataset(file.get(), "params", {static_cast<hsize_t>(n_samples), 3}, params);
  }
  file.close("H5Fclose", path);
}

}  // namespace

TEST_F(TrainTest, Hdf5DatasetBatchesAndDeterministicShuffle) {
  const std::string file = path("fields.h5");
  write_collection(file, 10, true);
  cnn::Hdf5FieldDatasetOptions opt;
  opt.batch_size = 4;
  opt.seed = 5;
  const cnn::Hdf5FieldDataset data(file, opt);
  EXPECT_EQ(data.size(), 10);
  EXPECT_EQ(data.channels(), 2);
  EXPECT_EQ(data.mesh(), 4);
  EXPECT_EQ(data.num_params(), 3);
  EXPECT_EQ(data.batches_per_epoch(), 2);

  // Every epoch is a permutation; epochs differ; the same seed gives the same order.
  const auto e0 = data.epoch_order(0);
  const auto e1 = data.epoch_order(1);
  auto sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(sorted[i], i);
  EXPECT_NE(e0, e1);
  EXPECT_EQ(cnn::Hdf5FieldDataset(file, opt).epoch_order(1), e1);
  opt.seed = 6;
  EXPECT_NE(cnn::Hdf5FieldDataset(file, opt).epoch_order(0), e0);

  // Batch 3 = second batch of epoch 1; contents match the samples it names.
  const cnn::FieldBatch b = data.batch(3);
  ASSERT_EQ(b.fields.sizes(), (std::vector<int64_t>{4, 2, 4, 4, 4}));
  ASSERT_EQ(b.params.sizes(), (std::vector<int64_t>{4, 3}));
  for (int64_t k = 0; k < 4; ++k) {
    const int64_t i = e1[4 + k];
    EXPECT_EQ(b.indices[k].item<int64_t>(), i);
    const auto expected =
        (1000.0f * i + torch::arange(2, torch::kFloat32).view({2, 1, 1, 1}) * 100.0f +
         torch::arange(64, torch::kFloat32).view({1, 4, 4, 4}));
    EXPECT_TRUE(torch::equal(b.fields[k], expected)) << k;
    EXPECT_FLOAT_EQ(b.params[k][2].item<float>(), static_cast<float>(i) + 0.2f);
  }
  EXPECT_TRUE(torch::equal(data.batch(3).fields, b.fields));

  // Without shuffling and drop_last: file order with a short last batch; no params.
  write_collection(path("plain.h5"), 5, false);
  cnn::Hdf5FieldDatasetOptions plain;
  plain.batch_size = 2;
  plain.shuffle = false;
  plain.drop_last = false;
  const cnn::Hdf5FieldDataset p(path("plain.h5"), plain);
  EXPECT_EQ(p.batches_per_epoch(), 3);
  const auto last = p.batch(2);
  EXPECT_EQ(last.fields.size(0), 1);
  EXPECT_EQ(last.indices[0].item<int64_t>(), 4);
  EXPECT_FALSE(last.params.defined());
  EXPECT_EQ(p.batch(3).indices[0].item<int64_t>(), 0);
}

TEST_F(TrainTest, Hdf5DatasetErrorsNameTheFile) {
  cnn::Hdf5FieldDatasetOptions opt;
  EXPECT_NE(error_of([&] { cnn::Hdf5FieldDataset(path("none.h5"), opt); }).find("none.h5"),
            std::string::npos);
  namespace d = cosmograd::sim::detail;
  {
    d::H5Id file = d::h5_create_file(path("wrong.h5"));
    write_dataset(file.get(), "fields", {3, 4, 4, 4}, std::vector<float>(3 * 64));
    file.close("H5Fclose", "wrong.h5");
  }
  const std::string shape = error_of([&] { cnn::Hdf5FieldDataset(path("wrong.h5"), opt); });
  EXPECT_NE(shape.find("wrong.h5: /fields has shape (3,4,4,4)"), std::string::npos) << shape;
  {
    d::H5Id file = d::h5_create_file(path("empty.h5"));
    file.close("H5Fclose", "empty.h5");
  }
  const std::string missing = error_of([&] { cnn::Hdf5FieldDataset(path("empty.h5"), opt); });
  EXPECT_NE(missing.find("empty.h5: missing dataset /fields"), std::string::npos) << missing;
}
#endif
