// The interactive attention page opens in a real headless browser (Debian's chromium) and
// draws the expected number of cells; its data survives hostile token text ("</script>",
// non-ASCII, invalid UTF-8). Skips, saying so, where no chromium is installed.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "src/inspect/heatmap_html.h"

namespace hearth {
namespace {

std::string find_browser() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (std::filesystem::exists(p)) return p;
  return "";
}

// Synthetic maps: n tokens, 2 layers x 3 heads, rows uniform over past keys.
AttentionMaps synthetic(int64_t n) {
  AttentionMaps m;
  m.n_layer = 2;
  m.n_head = 3;
  for (int64_t i = 0; i < n; ++i) m.token_ids.push_back(static_cast<int32_t>(i));
  m.tokens = {"</script><b>", "caf\xc3\xa9", "\\n", "\xff\xfe", "\"quote\""};
  m.tokens.resize(static_cast<size_t>(n), "tok");
  m.probs.resize(2);
  for (auto& layer : m.probs) {
    layer.resize(3);
    for (auto& h : layer) {
      h.n = n;
      h.v.assign(static_cast<size_t>(n * n), 0.0f);
      for (int64_t q = 0; q < n; ++q)
        for (int64_t k = 0; k <= q; ++k) h.v[static_cast<size_t>(q * n + k)] = 1.0f / float(q + 1);
    }
  }
  return m;
}

std::string dump_dom(const std::string& browser, const std::string& html_path) {
  const std::string dir = (std::filesystem::temp_directory_path() / ("hearth_chromium_" + std::to_string(getpid()))).string();
  std::filesystem::create_directories(dir);
  const std::string cmd = browser +
      " --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update"
      " --disable-sync --no-first-run --disable-dev-shm-usage --user-data-dir=" + dir +
      " --virtual-time-budget=5000 --dump-dom file://" + html_path + " 2>/dev/null";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf;
    size_t got;
    while ((got = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), got);
    pclose(p);
  }
  std::filesystem::remove_all(dir);
  return out;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(HeatmapHtml, SelfContained) {
  const std::string page = attention_html(synthetic(5), "1", "mean", "test <model>");
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(count(page, "</script>"), 2u);  // the data block and the code; the token's is escaped
  EXPECT_NE(page.find("test &lt;model&gt;"), std::string::npos);
}

TEST(HeatmapHtml, OpensInHeadlessBrowserWithExpectedCells) {
  const std::string browser = find_browser();
  if (browser.empty()) GTEST_SKIP() << "no chromium installed (apt-get install chromium): the browser check did not run";
  const int64_t n = 7;
  const std::string path =
      (std::filesystem::temp_directory_path() / ("hearth_attention_" + std::to_string(getpid()) + ".html")).string();
  {
    std::ofstream out(path);
    out << attention_html(synthetic(n), "1", "2", "synthetic");
  }
  const std::string dom = dump_dom(browser, path);
  std::filesystem::remove(path);
  ASSERT_FALSE(dom.empty()) << "chromium printed nothing";
  EXPECT_NE(dom.find("<span id=\"cell-count\">" + std::to_string(n * n) + "</span>"), std::string::npos)
      << dom.substr(0, 2000);
  EXPECT_EQ(count(dom, "class=\"cell\""), static_cast<size_t>(n * (n + 1) / 2));
  EXPECT_EQ(count(dom, "class=\"cell masked\""), static_cast<size_t>(n * (n - 1) / 2));
  EXPECT_NE(dom.find("<option value=\"rollout\">"), std::string::npos);  // all layers present: rollout offered
  EXPECT_NE(dom.find("&lt;/script&gt;&lt;b&gt;"), std::string::npos);  // the hostile token shows as text
}

}  // namespace
}  // namespace hearth
