// libFuzzer target: the FITS readers -- sim::read_flat_fits, sim::read_healpix_fits and
// surveys' read_psf_fits -- on FITS files whose header cards (BITPIX, NAXISn, TFORM1, NSIDE,
// ORDERING, CDELTn, ...) the input chooses; the data unit holds input bytes, possibly fewer
// than the header declares.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

#include "sim/sky/flat_fits.hpp"
#include "sim/sky/healpix_fits.hpp"
#include "surveys/images/psf.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace cosmograd;

namespace {

/// FITS header text: 80-character cards, END, padded to 2880 bytes.
class Header {
 public:
  void card(const std::string& key, const std::string& value) {
    char buf[81];
    std::snprintf(buf, sizeof buf, "%-8.8s= %20.20s", key.c_str(), value.c_str());
    std::string c(buf);
    c.resize(80, ' ');
    text_ += c;
  }
  void str(const std::string& key, const std::string& value) { card(key, "'" + value + "'"); }
  std::string finish() {
    std::string end = "END";
    end.resize(80, ' ');
    text_ += end;
    text_.resize((text_.size() + 2879) / 2880 * 2880, ' ');
    return text_;
  }

 private:
  std::string text_;
};

/// A count as a FITS integer card value: usually `typical`, else an edge case.
std::string count_text(FuzzedDataProvider& in, long long typical) {
  switch (in.ConsumeIntegralInRange<int>(0, 9)) {
    case 9:
      return "0";
    case 8:
      return "-1";
    case 7:
      return "2147483648";
    case 6:
      return "1099511627776";
    case 5:
      return "9223372036854775807";
    case 4:
      return std::to_string(in.ConsumeIntegral<std::int32_t>());
    case 3:
      return std::to_string(typical + 1);
    default:
      return std::to_string(typical);
  }
}

std::string number_text(FuzzedDataProvider& in, double typical) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10G", fuzz::pick_double(in, typical));
  return buf;
}

/// The data unit: `declared` bytes of input (or fewer), padded to 2880.
std::string data_unit(FuzzedDataProvider& in, std::size_t declared) {
  std::size_t n = declared;
  if (in.ConsumeIntegralInRange<int>(0, 7) == 7) n = in.ConsumeIntegralInRange<std::size_t>(0, n);
  std::string d = in.ConsumeBytesAsString(n);
  d.resize(n, '\0');
  if (in.ConsumeIntegralInRange<int>(0, 7) != 7) d.resize((d.size() + 2879) / 2880 * 2880, '\0');
  return d;
}

int pick_bitpix(FuzzedDataProvider& in) {
  static const int codes[] = {-64, -32, 8, 16, 32, 64, 7};
  return in.ConsumeIntegralInRange<int>(0, 3) == 3 ? codes[in.ConsumeIntegralInRange<int>(0, 6)]
                                                   : -64;
}

/// A square 2D image (flat map or PSF).
std::string image_file(FuzzedDataProvider& in) {
  const int n = 1 + (in.ConsumeIntegral<std::uint8_t>() + 4) % 16;
  const int bitpix = pick_bitpix(in);
  Header h;
  h.card("SIMPLE", "T");
  h.card("BITPIX", std::to_string(bitpix));
  const int naxis =
      in.ConsumeIntegralInRange<int>(0, 7) == 7 ? in.ConsumeIntegralInRange<int>(0, 3) : 2;
  h.card("NAXIS", std::to_string(naxis));
  std::size_t declared = naxis > 0 ? std::size_t(bitpix < 0 ? -bitpix : bitpix) / 8 : 0;
  for (int a = 1; a <= naxis; ++a) {
    const std::string v = count_text(in, n);
    h.card("NAXIS" + std::to_string(a), v);
    declared *= static_cast<std::size_t>(std::max(0LL, std::min(std::stoll(v), 64LL)));
  }
  if (!in.ConsumeBool()) {
    h.card("CDELT1", number_text(in, -0.01));
    h.card("CDELT2", number_text(in, 0.01));
  } else if (!in.ConsumeBool()) {
    h.card("CD1_1", number_text(in, -0.01));
    h.card("CD2_2", number_text(in, 0.01));
  }
  h.card("CRVAL1", number_text(in, 10.0));
  h.card("CRVAL2", number_text(in, -5.0));
  if (in.ConsumeBool()) h.str("BUNIT", in.ConsumeRandomLengthString(8));
  return h.finish() + data_unit(in, declared);
}

/// A HEALPix binary table after an empty primary HDU.
std::string healpix_file(FuzzedDataProvider& in) {
  Header p;
  p.card("SIMPLE", "T");
  p.card("BITPIX", "8");
  p.card("NAXIS", "0");
  p.card("EXTEND", "T");
  const int nside = 1 << in.ConsumeIntegralInRange<int>(0, 2);
  static const char* const forms[] = {"D", "E", "J", "K", "B", "L", "A", "X"};
  const std::string form =
      forms[in.ConsumeIntegralInRange<int>(0, 3) == 3 ? in.ConsumeIntegralInRange<int>(0, 7) : 0];
  const long long repeat = in.ConsumeBool() ? 1 : 12 * nside;
  const std::string repeat_text = count_text(in, repeat);
  static const int widths[] = {8, 4, 4, 8, 1, 1, 1, 1};
  const int width = widths[std::string("DEJKBLAX").find(form[0])];
  const long long rows = 12LL * nside * nside / repeat;
  const std::string rows_text = count_text(in, rows);
  Header h;
  h.str("XTENSION", in.ConsumeIntegralInRange<int>(0, 15) == 15 ? "IMAGE" : "BINTABLE");
  h.card("BITPIX", "8");
  h.card("NAXIS", "2");
  h.card("NAXIS1", count_text(in, repeat * width));
  h.card("NAXIS2", rows_text);
  h.card("PCOUNT", "0");
  h.card("GCOUNT", "1");
  h.card("TFIELDS", in.ConsumeIntegralInRange<int>(0, 15) == 15 ? "0" : "1");
  h.str("TTYPE1", "SIGNAL");
  h.str("TFORM1", repeat_text + form);
  if (!in.ConsumeBool()) h.str("PIXTYPE", in.ConsumeBool() ? "FLAT" : "HEALPIX");
  static const char* const orderings[] = {"RING", "NESTED", "NEST", "XYZ"};
  h.str("ORDERING", orderings[in.ConsumeIntegralInRange<int>(0, 3)]);
  if (in.ConsumeBool()) h.str("INDXSCHM", in.ConsumeBool() ? "EXPLICIT" : "IMPLICIT");
  if (in.ConsumeBool()) h.card("NSIDE", count_text(in, nside));
  if (in.ConsumeBool()) h.str("COORDSYS", "G");
  const std::size_t declared = static_cast<std::size_t>(12 * nside * nside * width);
  return p.finish() + h.finish() + data_unit(in, declared);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const int which = in.ConsumeIntegralInRange<int>(0, 2);
  const std::string bytes = which == 1 ? healpix_file(in) : image_file(in);
  fuzz::clear_scratch();
  const std::string path = fuzz::write_scratch("map.fits", bytes);
  try {
    if (which == 0) {
      sim::FlatFitsInfo info;
      (void)sim::read_flat_fits(path, &info);
    } else if (which == 1) {
      sim::HealpixFitsInfo info;
      (void)sim::read_healpix_fits(path, &info);
    } else {
      (void)surveys::read_psf_fits(path);
    }
    fuzz::report("accepted");
  } catch (const std::exception& e) {
    fuzz::report(e.what());  // rejected with a message: the expected outcome for a bad file
  }
  return 0;
}
