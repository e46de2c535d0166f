#include "viz/detail/page.hpp"

#include <plplot.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <type_traits>

#include "sim/core/check.hpp"

namespace cosmograd::viz::detail {
namespace {

/// Serialises every use of PLplot in the process (its streams share global state).
std::mutex& plplot_mutex() {
  static std::mutex m;
  return m;
}

static_assert(std::is_same_v<PLINT, int>, "PngPage stores PLplot's error code as int");

/// True when PLplot lists the pngcairo device (plplot-driver-cairo on Debian); looked up
/// once, under plplot_mutex().
bool have_pngcairo() {
  static const bool found = [] {
    constexpr int kMax = 128;
    PLCHAR_VECTOR menu_storage[kMax];
    PLCHAR_VECTOR name_storage[kMax];
    PLCHAR_VECTOR* menus = menu_storage;
    PLCHAR_VECTOR* names = name_storage;
    int n = kMax;
    plgDevs(&menus, &names, &n);
    for (int i = 0; i < n; ++i) {
      if (std::string(names[i]) == "pngcairo") return true;
    }
    return false;
  }();
  return found;
}

/// True when `path` holds at least a PNG signature and an IHDR chunk.
bool looks_like_png(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[16] = {};
  in.read(head, sizeof head);
  static constexpr char kSignature[] = "\x89PNG\r\n\x1a\n";
  return in.gcount() == sizeof head && std::equal(kSignature, kSignature + 8, head) &&
         std::string(head + 12, 4) == "IHDR";
}

/// DejaVu Sans advance widths of ' '..'~' in em (units per em 2048).
constexpr double kAdvance[95] = {
    0.318, 0.401, 0.460, 0.838, 0.636, 0.950, 0.780, 0.275, 0.390, 0.390, 0.500, 0.838,
    0.318, 0.361, 0.318, 0.337, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636,
    0.636, 0.636, 0.337, 0.337, 0.838, 0.838, 0.838, 0.531, 1.000, 0.684, 0.686, 0.698,
    0.770, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656, 0.557, 0.863, 0.748, 0.787,
    0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684, 0.989, 0.685, 0.611, 0.685, 0.390,
    0.337, 0.390, 0.838, 0.500, 0.500, 0.613, 0.635, 0.550, 0.635, 0.615, 0.352, 0.635,
    0.634, 0.278, 0.278, 0.579, 0.278, 0.974, 0.634, 0.612, 0.635, 0.635, 0.411, 0.521,
    0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525, 0.636, 0.337, 0.636, 0.838};
/// Advance of any other character (Greek, symbols), rounded up.
constexpr double kOtherAdvance = 0.8;
/// One em in units of PLplot's character height with the cairo driver (measured: fifty
/// '0' glyphs, 0.636 em each, span 41.8 character heights), with 3% to spare.
constexpr double kEmPerHeight = 1.316 * 1.03;

}  // namespace

PngPage::PngPage(const std::string& path, int width, int height)
    : lock_(plplot_mutex()), file_(path) {
  if (!have_pngcairo()) {
    sim::call_failed("PLplot", "plsdev", 0,
                     "no pngcairo device (install plplot-driver-cairo) to write " + path);
  }
  // Check that the temporary file can be created: PLplot exits the process when it cannot.
  if (std::FILE* f = std::fopen(file_.temp_path().c_str(), "wb")) {
    std::fclose(f);
  } else {
    sim::call_failed("OS", "fopen", 0, file_.temp_path() + ": cannot create the file");
  }
  PLINT previous = 0;
  plgstrm(&previous);
  previous_stream_ = previous;
  PLINT stream = -1;
  plmkstrm(&stream);  // a stream of our own: a caller's PLplot stream stays as it was
  if (stream < 0) {
    sim::call_failed("PLplot", "plmkstrm", stream, "no free PLplot stream");
  }
  open_ = true;
  plsError(&error_code_, error_message_);  // plabort() records here instead of printing
  plsdev("pngcairo");
  plsfnam(file_.temp_path().c_str());
  plspage(0.0, 0.0, width, height, 0, 0);
  plscolbg(255, 255, 255);
  plinit();
  pladv(0);
  PLFLT x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  plgspa(&x0, &x1, &y0, &y1);
  width_mm_ = x1 - x0;
  height_mm_ = y1 - y0;
  px_per_mm_ = width / width_mm_;
  plscmap0n(256);
  colors_ = {sim::RGB{255, 255, 255}, sim::RGB{0, 0, 0}, sim::RGB{225, 225, 225},
             sim::RGB{70, 70, 70}};
  for (std::size_t i = 0; i < colors_.size(); ++i) {
    plscol0(static_cast<PLINT>(i), colors_[i].r, colors_[i].g, colors_[i].b);
  }
  plcol0(kBlack);
}

PngPage::~PngPage() {
  if (open_) end_stream();
}

int PngPage::color(sim::RGB c) {
  const auto it = std::find(colors_.begin(), colors_.end(), c);
  if (it != colors_.end()) return static_cast<int>(it - colors_.begin());
  if (colors_.size() >= 250) sim::call_failed("PLplot", "plscol0", 0, "more than 250 colours");
  colors_.push_back(c);
  const int index = static_cast<int>(colors_.size()) - 1;
  plscol0(index, c.r, c.g, c.b);
  return index;
}

void PngPage::end_stream() {
  plend1();
  plsstrm(previous_stream_);
  open_ = false;
}

void PngPage::finish() {
  end_stream();
  if (error_code_ != 0) {
    sim::call_failed("PLplot", "plend1", error_code_, file_.path() + ": " + error_message_);
  }
  if (!looks_like_png(file_.temp_path())) {
    sim::call_failed("PLplot", "plend1", 0, file_.temp_path() + ": no PNG was written");
  }
  file_.commit();
}

double text_width(const std::string& text) {
  double width = 0.0;
  int level = 0;  // superscript > 0 > subscript
  const auto scale = [&level] {
    double s = 1.0;
    for (int i = 0; i < std::abs(level); ++i) s *= 0.75;
    return s;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '#' && i + 1 < text.size()) {
      const char e = text[++i];
      if (e == 'u') {
        ++level;
      } else if (e == 'd') {
        --level;
      } else if (e == '#') {
        width += kAdvance['#' - ' '] * scale();
      } else if (e == 'g' && i + 1 < text.size()) {
        ++i;  // one Greek letter
        width += kOtherAdvance * scale();
      } else if (e == 'f' && i + 1 < text.size()) {
        ++i;  // font change
      } else if (e == '[') {
        while (i < text.size() && text[i] != ']') ++i;  // one character by its code
        width += kOtherAdvance * scale();
      }
      continue;
    }
    if (c >= ' ' && c <= '~') {
      width += kAdvance[c - ' '] * scale();
    } else if ((c & 0xC0) != 0x80) {  // the first byte of a UTF-8 sequence
      width += kOtherAdvance * scale();
    }
  }
  return width * kEmPerHeight;
}

std::vector<std::string> wrap_text(const std::string& text, double max_width) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!word.empty()) {
      const std::string longer = line.empty() ? word : line + " " + word;
      if (line.empty() || text_width(longer) <= max_width) {
        line = longer;
      } else {
        lines.push_back(line);
        line = word;
      }
    }
    start = end + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace cosmograd::viz::detail

// fontconfig, which cairo's text goes through, keeps its font caches for the life of the
// process; LeakSanitizer would report them at exit in every sanitized program that plots.
#if defined(__SANITIZE_ADDRESS__)
#define COSMOGRAD_VIZ_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COSMOGRAD_VIZ_LSAN 1
#endif
#endif
#ifdef COSMOGRAD_VIZ_LSAN
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }
#endif
