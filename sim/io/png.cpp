#include "sim/io/png.hpp"

#include <png.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/core/check.hpp"

// libpng reports an error by calling the error callback, which must not return. Throwing a
// C++ exception through libpng's C frames is undefined behaviour, so the callback records
// the message and longjmps back to a setjmp. Each setjmp lives in a small function below
// (write_all, read_header, read_rows) that calls only libpng and owns no object with a
// destructor, so the longjmp skips nothing; the libpng structs and the FILE are owned by
// RAII guards in the caller, which throws once the function has returned false.

namespace cosmograd::sim {
namespace {

constexpr int kMaxSide = 65535;

struct PngErrorState {
  char message[512] = "unknown libpng error";
};

void on_png_error(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngErrorState*>(png_get_error_ptr(png));
  if (state != nullptr) {
    std::snprintf(state->message, sizeof(state->message), "%s",
                  message != nullptr ? message : "unknown libpng error");
  }
  png_longjmp(png, 1);
}

// Warnings (for example about an unusual ancillary chunk) do not affect the pixels.
void on_png_warning(png_structp, png_const_charp) {}

class FileGuard {
 public:
  explicit FileGuard(std::FILE* f) : f_(f) {}
  ~FileGuard() {
    if (f_ != nullptr) std::fclose(f_);
  }
  FileGuard(const FileGuard&) = delete;
  FileGuard& operator=(const FileGuard&) = delete;
  std::FILE* get() const { return f_; }
  // Closes the file and returns fclose's result (0 on success, EOF with errno set).
  int close() {
    std::FILE* f = f_;
    f_ = nullptr;
    return std::fclose(f);
  }

 private:
  std::FILE* f_;
};

class WriteGuard {
 public:
  explicit WriteGuard(PngErrorState* state)
      : png_(png_create_write_struct(PNG_LIBPNG_VER_STRING, state, on_png_error, on_png_warning)) {
    if (png_ != nullptr) info_ = png_create_info_struct(png_);
  }
  ~WriteGuard() {
    if (png_ != nullptr) png_destroy_write_struct(&png_, &info_);
  }
  WriteGuard(const WriteGuard&) = delete;
  WriteGuard& operator=(const WriteGuard&) = delete;
  png_structp png() const { return png_; }
  png_infop info() const { return info_; }

 private:
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

class ReadGuard {
 public:
  explicit ReadGuard(PngErrorState* state)
      : png_(png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_png_error, on_png_warning)) {
    if (png_ != nullptr) info_ = png_create_info_struct(png_);
  }
  ~ReadGuard() {
    if (png_ != nullptr) png_destroy_read_struct(&png_, &info_, nullptr);
  }
  ReadGuard(const ReadGuard&) = delete;
  ReadGuard& operator=(const ReadGuard&) = delete;
  png_structp png() const { return png_; }
  png_infop info() const { return info_; }

 private:
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

// Returns false after a libpng error (the message is in the error state).
bool write_all(png_structp png, png_infop info, std::FILE* file, png_uint_32 width,
               png_uint_32 height, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, file);
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  static char key[] = "Software";
  static char value[] = "cosmograd";
  png_text text;
  std::memset(&text, 0, sizeof(text));
  text.compression = PNG_TEXT_COMPRESSION_NONE;
  text.key = key;
  text.text = value;
  png_set_text(png, info, &text, 1);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return true;
}

// Reads the header and sets up the conversion to 8-bit RGB; false after a libpng error.
bool read_header(png_structp png, png_infop info, std::FILE* file, png_uint_32* width,
                 png_uint_32* height, int* channels, int* bit_depth) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, file);
  png_set_sig_bytes(png, 8);  // checked by the caller
  png_set_user_limits(png, kMaxSide, kMaxSide);
  png_read_info(png, info);
  png_set_expand(png);  // palette to RGB, grey < 8 bits to 8 bits, tRNS to alpha
  png_set_strip_16(png);
  png_set_strip_alpha(png);
  png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  *width = png_get_image_width(png, info);
  *height = png_get_image_height(png, info);
  *channels = png_get_channels(png, info);
  *bit_depth = png_get_bit_depth(png, info);
  return true;
}

// Reads all rows after read_header; false after a libpng error.
bool read_rows(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

void check_side(const char* name, int value) {
  if (value < 1 || value > kMaxSide) {
    throw std::invalid_argument(std::string("Image ") + name + " = " + std::to_string(value) +
                                " is not in [1, " + std::to_string(kMaxSide) + "]");
  }
}

}  // namespace

Image::Image(int w, int h, RGB fill_colour) : width(w), height(h) {
  check_side("width", w);
  check_side("height", h);
  rgb.resize(3 * static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
  fill(fill_colour);
}

void Image::set(int x, int y, RGB c) {
  if (!contains(x, y)) {
    throw std::out_of_range("Image::set: pixel (" + std::to_string(x) + ", " + std::to_string(y) +
                            ") is outside the " + std::to_string(width) + " x " +
                            std::to_string(height) + " image");
  }
  set_clipped(x, y, c);
}

RGB Image::get(int x, int y) const {
  if (!contains(x, y)) {
    throw std::out_of_range("Image::get: pixel (" + std::to_string(x) + ", " + std::to_string(y) +
                            ") is outside the " + std::to_string(width) + " x " +
                            std::to_string(height) + " image");
  }
  const std::uint8_t* p = &rgb[3 * (static_cast<std::size_t>(y) * width + x)];
  return RGB{p[0], p[1], p[2]};
}

void Image::fill(RGB c) {
  for (std::size_t i = 0; i + 2 < rgb.size(); i += 3) {
    rgb[i] = c.r;
    rgb[i + 1] = c.g;
    rgb[i + 2] = c.b;
  }
}

void write_png(const std::string& path, const Image& image) {
  if (image.width < 1 || image.height < 1 || image.width > kMaxSide || image.height > kMaxSide) {
    throw std::invalid_argument("write_png(" + path + "): image size " +
                                std::to_string(image.width) + " x " + std::to_string(image.height) +
                                " is not in [1, " + std::to_string(kMaxSide) + "]^2");
  }
  const std::size_t row_bytes = 3 * static_cast<std::size_t>(image.width);
  if (image.rgb.size() != row_bytes * static_cast<std::size_t>(image.height)) {
    throw std::invalid_argument("write_png(" + path + "): buffer holds " +
                                std::to_string(image.rgb.size()) + " bytes, not width * " +
                                "height * 3 = " + std::to_string(row_bytes * image.height));
  }
  std::vector<png_bytep> rows(static_cast<std::size_t>(image.height));
  for (int y = 0; y < image.height; ++y) {
    // libpng's row type is non-const, but writing only reads the rows.
    rows[y] = const_cast<png_bytep>(image.rgb.data() + row_bytes * y);
  }

  AtomicWrite out(path);
  FileGuard file(std::fopen(out.temp_path().c_str(), "wb"));
  if (file.get() == nullptr) {
    const int err = errno;
    call_failed("OS", "fopen", err, out.temp_path() + ": " + std::strerror(err));
  }
  PngErrorState state;
  {
    WriteGuard png(&state);
    if (png.png() == nullptr || png.info() == nullptr) {
      call_failed("libpng", "png_create_write_struct", 0, path + ": out of memory");
    }
    if (!write_all(png.png(), png.info(), file.get(), static_cast<png_uint_32>(image.width),
                   static_cast<png_uint_32>(image.height), rows.data())) {
      call_failed("libpng", "png_write", 0, path + ": " + state.message);
    }
  }
  if (file.close() != 0) {
    const int err = errno;
    call_failed("OS", "fclose", err, out.temp_path() + ": " + std::strerror(err));
  }
  out.commit();
}

Image read_png(const std::string& path) {
  FileGuard file(std::fopen(path.c_str(), "rb"));
  if (file.get() == nullptr) {
    const int err = errno;
    call_failed("OS", "fopen", err, path + ": " + std::strerror(err));
  }
  png_byte signature[8] = {};
  if (std::fread(signature, 1, sizeof(signature), file.get()) != sizeof(signature) ||
      png_sig_cmp(signature, 0, sizeof(signature)) != 0) {
    call_failed("libpng", "png_sig_cmp", 0, path + ": not a PNG file");
  }
  PngErrorState state;
  ReadGuard png(&state);
  if (png.png() == nullptr || png.info() == nullptr) {
    call_failed("libpng", "png_create_read_struct", 0, path + ": out of memory");
  }
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int channels = 0;
  int bit_depth = 0;
  if (!read_header(png.png(), png.info(), file.get(), &width, &height, &channels, &bit_depth)) {
    call_failed("libpng", "png_read", 0, path + ": " + state.message);
  }
  if (channels != 3 || bit_depth != 8 || width < 1 || height < 1 || width > kMaxSide ||
      height > kMaxSide) {
    call_failed("libpng", "png_read", 0,
                path + ": unexpected layout after conversion (" + std::to_string(width) + " x " +
                    std::to_string(height) + ", " + std::to_string(channels) + " channels, " +
                    std::to_string(bit_depth) + " bits)");
  }
  Image image(static_cast<int>(width), static_cast<int>(height));
  const std::size_t row_bytes = 3 * static_cast<std::size_t>(width);
  std::vector<png_bytep> rows(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = image.rgb.data() + row_bytes * y;
  if (!read_rows(png.png(), rows.data())) {
    call_failed("libpng", "png_read", 0, path + ": " + state.message);
  }
  return image;
}

}  // namespace cosmograd::sim
