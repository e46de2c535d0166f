// One PLplot page rendered by the cairo PNG driver into a file, written atomically; helpers
// for text that PLplot cannot measure. Only viz/ uses this header.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/io/png.hpp"

namespace cosmograd::viz::detail {

/// Colour-map-0 indices every page defines: background, foreground, grid and note text.
inline constexpr int kWhite = 0;
/// Black: frame, ticks, labels and titles.
inline constexpr int kBlack = 1;
/// Light grey grid lines.
inline constexpr int kGrid = 2;
/// Dark grey for notes and secondary text.
inline constexpr int kDarkGrey = 3;

/// A PLplot stream on a width x height pixel PNG page written to `path` through a
/// temporary file in the same directory. Holds a process-wide lock from construction to
/// destruction (PLplot's state is global), so pages are made one at a time. Output of the
/// pngcairo driver only; PLplot's error messages are recorded, not printed.
class PngPage {
 public:
  /// Starts the page; throws sim::CallError when PLplot lacks its cairo PNG driver.
  PngPage(const std::string& path, int width, int height);
  /// Ends the stream when finish() was not called; the temporary file is removed.
  ~PngPage();
  PngPage(const PngPage&) = delete;
  PngPage& operator=(const PngPage&) = delete;

  /// Page width in millimetres (PLplot's device units for plsvpa, character heights).
  double width_mm() const { return width_mm_; }
  /// Page height in millimetres.
  double height_mm() const { return height_mm_; }
  /// Pixels per millimetre.
  double pixels_per_mm() const { return px_per_mm_; }
  /// A colour-map-0 index showing `c` (allocated on first use; at most 250 colours).
  int color(sim::RGB c);
  /// Ends the stream, checks the PNG file and renames it onto the path; throws
  /// sim::CallError when PLplot reported an error or wrote no PNG.
  void finish();

 private:
  void end_stream();

  std::unique_lock<std::mutex> lock_;
  sim::AtomicWrite file_;
  int previous_stream_ = 0;
  bool open_ = false;
  double width_mm_ = 0;
  double height_mm_ = 0;
  double px_per_mm_ = 1;
  std::vector<sim::RGB> colors_;
  int error_code_ = 0;             // PLplot's error flag (plsError)
  char error_message_[1024] = {};  // PLplot's error text (plsError)
};

/// Estimated width of PLplot text (UTF-8 with PLplot's '#' escapes) in units of the
/// character height: DejaVu Sans advances rounded up, sub- and superscripts at 0.75.
double text_width(const std::string& text);

/// `text` broken at spaces into lines no wider than `max_width` (in character heights, as
/// text_width measures); a word longer than a line stays whole on its own line.
std::vector<std::string> wrap_text(const std::string& text, double max_width);

}  // namespace cosmograd::viz::detail
