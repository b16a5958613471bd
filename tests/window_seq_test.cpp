// window_seq_test.cpp: the device's own window ids of `serve --nats`
// (window_seq.h): finding "seq" in a window's JSON, and answering each
// number once through losses, resends and reboots.
#include "window_seq.h"

#include <gtest/gtest.h>

namespace tinyad {
namespace {

TEST(WindowSeq, FoundOnlyAsATopLevelKey) {
  EXPECT_EQ(window_seq(R"({"seq":17,"x":[1],"y":[2],"z":[3]})"), 17u);
  EXPECT_EQ(window_seq(R"({"x":[1],"y":[2],"z":[3], "seq" : 42})"), 42u);
  EXPECT_EQ(window_seq(R"({"x":[1],"y":[2],"z":[3]})"), 0u);
  // A string value that says "seq", and a key that only ends in it, are not the key.
  EXPECT_EQ(window_seq(R"({"device":"seq","x":[1]})"), 0u);
  EXPECT_EQ(window_seq(R"({"device":"a\"seq\":5","x":[1]})"), 0u);
  EXPECT_EQ(window_seq(R"({"myseq":5,"x":[1]})"), 0u);
  // Not a number: none.
  EXPECT_EQ(window_seq(R"({"seq":"7","x":[1]})"), 0u);
}

TEST(WindowSeq, EachNumberAnsweredOnceThroughLossAndResend) {
  DeviceSeqs s;
  EXPECT_TRUE(s.accept(1));
  EXPECT_TRUE(s.accept(2));
  EXPECT_FALSE(s.accept(2)) << "sent again after a reconnect";
  // 3..6 lost on the way, 7 arrives: 3..6 are still to be answered.
  EXPECT_TRUE(s.accept(7));
  EXPECT_EQ(s.text(), "7,3-6");
  EXPECT_TRUE(s.accept(4));
  EXPECT_EQ(s.text(), "7,3-3,5-6");
  EXPECT_FALSE(s.accept(4));
  EXPECT_TRUE(s.accept(3));
  EXPECT_TRUE(s.accept(6));
  EXPECT_TRUE(s.accept(5));
  EXPECT_EQ(s.text(), "7");
  EXPECT_FALSE(s.accept(5));
  EXPECT_FALSE(s.accept(1));
}

TEST(WindowSeq, StateSurvivesTheHeaderAndATakeover) {
  DeviceSeqs s;
  s.accept(10);
  s.accept(20);
  DeviceSeqs t;
  t.parse(s.text().c_str());
  EXPECT_EQ(t.text(), "20,1-9,11-19");
  EXPECT_TRUE(t.accept(15));
  EXPECT_FALSE(t.accept(10));
  EXPECT_FALSE(t.accept(20));
  DeviceSeqs none;
  none.parse(nullptr);
  EXPECT_EQ(none.text(), "0");
}

TEST(WindowSeq, OldestGapsForgottenAndARebootStartsAgain) {
  DeviceSeqs s;
  // 17 gaps: 2, 4, ..., 34 skipped; only the last 16 are kept.
  for (uint64_t n = 1; n <= 35; n += 2) s.accept(n);
  EXPECT_EQ(s.gaps.size(), DeviceSeqs::kMaxGaps);
  EXPECT_FALSE(s.accept(2)) << "the oldest gap was forgotten";
  EXPECT_TRUE(s.accept(4));
  // Far below the highest: the device counts from the start again.
  s.accept(5000);
  EXPECT_TRUE(s.accept(1));
  EXPECT_EQ(s.text(), "1");
  EXPECT_TRUE(s.accept(2));
  EXPECT_FALSE(s.accept(2));
}

}  // namespace
}  // namespace tinyad
