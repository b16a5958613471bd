// sample_store_test.cpp: the collect folder (numbering, concurrency, the
// 10,000-file limit) and the collect handler driven without sockets.
#include "sample_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "collect_service.h"

namespace fs = std::filesystem;

namespace tinyad {
namespace {

class StoreDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("tinyad-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::set<std::string> names() const {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.insert(e.path().filename().string());
    return out;
  }
  void touch(const std::string& name) { std::ofstream(dir_ / name) << "0, 0, 1\n"; }
  fs::path dir_;
};

TEST_F(StoreDir, NumbersFromTheLowestFreeAndNeverOverwrites) {
  fs::create_directories(dir_);
  touch("0000.csv");
  touch("0002.csv");
  touch(".collect-123-4.tmp");  // a killed run's leftover
  SampleStore store;
  std::string err;
  ASSERT_TRUE(store.open(dir_.string(), {}, &err)) << err;
  EXPECT_EQ(store.existing(), 2u);
  std::string name;
  ASSERT_EQ(store.store("1, 2, 3\n", &name, &err), SampleStore::Status::kStored) << err;
  EXPECT_EQ(name, "0001.csv");
  ASSERT_EQ(store.store("4, 5, 6\n", &name, &err), SampleStore::Status::kStored) << err;
  EXPECT_EQ(name, "0003.csv");
  EXPECT_EQ(names(), (std::set<std::string>{"0000.csv", "0001.csv", "0002.csv", "0003.csv"}));
  std::ifstream f(dir_ / "0000.csv");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(f), {}), "0, 0, 1\n");
  std::ifstream g(dir_ / "0003.csv");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(g), {}), "4, 5, 6\n");
}

TEST_F(StoreDir, ConcurrentWritersNeverShareANumber) {
  SampleStore store;
  std::string err;
  ASSERT_TRUE(store.open(dir_.string(), {}, &err)) << err;
  constexpr int kThreads = 8, kEach = 60;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string name, e;
        const std::string content = std::to_string(t) + ", " + std::to_string(i) + ", 0\n";
        ASSERT_EQ(store.store(content, &name, &e), SampleStore::Status::kStored) << e;
      }
    });
  }
  for (auto& th : threads) th.join();
  const std::set<std::string> files = names();
  ASSERT_EQ(files.size(), size_t(kThreads * kEach));
  std::set<std::string> contents;
  for (const std::string& n : files) {
    std::ifstream f(dir_ / n);
    contents.insert(std::string(std::istreambuf_iterator<char>(f), {}));
  }
  EXPECT_EQ(contents.size(), size_t(kThreads * kEach)) << "every window in its own file";
  EXPECT_EQ(*files.rbegin(), sample_file_name(kThreads * kEach - 1));
}

TEST_F(StoreDir, AnotherProcessTakingANumberIsSkipped) {
  SampleStore store;
  std::string err;
  ASSERT_TRUE(store.open(dir_.string(), {}, &err)) << err;
  touch("0000.csv");  // appears after open, as if another collector wrote it
  std::string name;
  ASSERT_EQ(store.store("1, 2, 3\n", &name, &err), SampleStore::Status::kStored) << err;
  EXPECT_EQ(name, "0001.csv");
  std::ifstream f(dir_ / "0000.csv");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(f), {}), "0, 0, 1\n");
}

HttpRequest post(const std::string& body) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers.emplace_back("content-type", "application/json");
  r.body = body;
  return r;
}

HttpRequest get() {
  HttpRequest r;
  r.method = "GET";
  r.target = "/";
  return r;
}

TEST_F(StoreDir, FullFolderTurnsTheFlagOffAndAnswers507) {
  fs::create_directories(dir_);
  // 0000-9998 exist: one number is left.
  for (int i = 0; i < SampleStore::kMaxFiles - 1; ++i) {
    const int fd = ::open((dir_ / sample_file_name(i)).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ::close(fd);
  }
  std::vector<std::string> log;
  CollectService svc;
  std::string err;
  CollectOptions opt;
  opt.dir = dir_.string();
  ASSERT_TRUE(svc.open(opt, [&log](const std::string& s) { log.push_back(s); }, &err)) << err;
  svc.start();
  const HttpPeer peer{"127.0.0.1:1"};
  EXPECT_EQ(svc.handle(get(), peer).body, "1");
  const std::string body = R"({"x":[1],"y":[2],"z":[3]})";
  EXPECT_EQ(svc.handle(post(body), peer).status, 204);
  EXPECT_TRUE(fs::exists(dir_ / "9999.csv"));
  EXPECT_EQ(svc.handle(get(), peer).body, "0") << "flag turns 0 when full";
  const HttpResponse full = svc.handle(post(body), peer);
  EXPECT_EQ(full.status, 507);
  EXPECT_NE(full.body.find("full"), std::string::npos) << full.body;
  bool logged = false;
  for (const std::string& l : log) logged = logged || l.find("is full") != std::string::npos;
  EXPECT_TRUE(logged) << "the log says why";
}

TEST_F(StoreDir, FlagFollowsStartAndFinish) {
  CollectService svc;
  std::string err;
  CollectOptions opt;
  opt.dir = dir_.string();
  ASSERT_TRUE(svc.open(opt, nullptr, &err)) << err;
  const HttpPeer peer{"127.0.0.1:1"};
  const HttpResponse before = svc.handle(get(), peer);
  EXPECT_EQ(before.body, "0") << "before start";
  EXPECT_EQ(svc.handle(post(R"({"x":[1],"y":[2],"z":[3]})"), peer).status, 503);
  svc.start();
  EXPECT_EQ(svc.handle(get(), peer).body, "1");
  svc.finish();
  EXPECT_EQ(svc.handle(get(), peer).body, "0") << "after -t ran out";
  // A device told "1" just before the end is still recording: its post is kept.
  EXPECT_EQ(svc.handle(post(R"({"x":[1],"y":[2],"z":[3]})"), peer).status, 204);
  EXPECT_EQ(svc.stored(), 1u);
}

TEST_F(StoreDir, RefusedPostsWriteNothing) {
  CollectService svc;
  std::string err;
  CollectOptions opt;
  opt.dir = dir_.string();
  ASSERT_TRUE(svc.open(opt, nullptr, &err)) << err;
  svc.start();
  const HttpPeer peer{"127.0.0.1:1"};
  HttpRequest wrong_type = post(R"({"x":[1],"y":[2],"z":[3]})");
  wrong_type.headers[0].second = "text/plain";
  EXPECT_EQ(svc.handle(wrong_type, peer).status, 415);
  EXPECT_EQ(svc.handle(post(R"({"x":[1],"y":[2]})"), peer).status, 400);
  HttpRequest put = post("{}");
  put.method = "PUT";
  EXPECT_EQ(svc.handle(put, peer).status, 405);
  HttpRequest other = get();
  other.target = "/metrics";
  EXPECT_EQ(svc.handle(other, peer).status, 404);
  EXPECT_TRUE(names().empty());
  EXPECT_EQ(svc.rejected(), 4u);
}

// A full disk (a 64 KiB tmpfs; root only, else skipped with the reason): the
// failed store turns the flag to 0, and once there is room again the next
// GET / finds it and the flag is 1 again.
TEST_F(StoreDir, AFullDiskTurnsTheFlagOffUntilThereIsRoom) {
  fs::create_directories(dir_);
  if (::geteuid() != 0 || ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "needs root to mount a 64 KiB tmpfs at " << dir_ << " (" << std::strerror(errno) << ")";
  struct Unmount {
    std::string dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{dir_.string()};
  CollectService svc;
  std::string err;
  ASSERT_TRUE(svc.open(CollectOptions{dir_.string(), {}, false}, nullptr, &err)) << err;
  svc.start();
  std::string body = "{\"x\":[";
  for (int i = 0; i < 400; ++i) body += (i ? "," : "") + std::to_string(0.123456 + i);
  body += "],\"y\":[" + body.substr(6) + "],\"z\":[" + body.substr(6) + "]}";
  const HttpPeer peer{"1.2.3.4:5"};
  int status = 204;
  for (int i = 0; i < 1000 && status == 204; ++i) status = svc.handle(post(body), peer).status;
  EXPECT_EQ(status, 500);
  EXPECT_FALSE(svc.ready());
  EXPECT_EQ(svc.handle(get(), peer).body, "0");
  ASSERT_EQ(::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, "size=4m"), 0) << std::strerror(errno);
  EXPECT_EQ(svc.handle(get(), peer).body, "1");
  EXPECT_EQ(svc.handle(post(body), peer).status, 204);
}

}  // namespace
}  // namespace tinyad
