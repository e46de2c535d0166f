// The `cosmograd` subcommands; each takes the arguments after its name.
#pragma once

#include <string>
#include <vector>

namespace cosmograd::apps {

/// `cosmograd info`: build features, devices, LibTorch.
int cmd_info(const std::vector<std::string>& args);
/// `cosmograd theory [config.ini] [--key value ...] --out DIR`: linear theory tables.
int cmd_theory(const std::vector<std::string>& args);
/// `cosmograd run [config.ini] [--key value ...]`: the main job.
int cmd_run(const std::vector<std::string>& args);
/// `cosmograd power SNAPSHOT [--mesh N] --out FILE`: P(k) of a snapshot.
int cmd_power(const std::vector<std::string>& args);
/// `cosmograd cl MAP.fits [--mask MASK.fits] [--lmax L] [--bins N] --out FILE.txt`: binned
/// angular power spectrum of a HEALPix or flat FITS map.
int cmd_cl(const std::vector<std::string>& args);
/// `cosmograd halos SNAPSHOT [--linking_length b] --out FILE.hdf5`: FoF catalogue and mass
/// function.
int cmd_halos(const std::vector<std::string>& args);
/// `cosmograd halomodel train [--key value ...]` / `halomodel apply --model FILE SNAPSHOT`:
/// train the neural halo model on simulations, or predict a snapshot's halo mass field.
int cmd_halomodel(const std::vector<std::string>& args);
/// `cosmograd emulate [config.ini] --model FILE [--key value ...]`: an emulated run with the
/// outputs of `run`; `emulate data|train|evaluate`: the emulator's pairs, training, metrics;
/// `emulate --input SNAPSHOT`: super-resolution; `emulate superres data|train|evaluate`.
int cmd_emulate(const std::vector<std::string>& args);
/// `cosmograd paint targets|hydro|fit|evaluate ...` / `paint --model FILE SNAPSHOT`: baryon
/// painting (synthetic targets, hydro snapshot fields, LDL fit, held-out table, painting).
int cmd_paint(const std::vector<std::string>& args);
/// `cosmograd reconstruct data|train|evaluate ...` / `reconstruct --data DIR/data.h5 --method
/// lbfgs|adam|rim`: initial-condition reconstruction (data sets, MAP and RIM, the comparison).
int cmd_reconstruct(const std::vector<std::string>& args);
/// `cosmograd campaign [config.ini] [--key value ...] --out DIR`: simulations over a prior,
/// each reduced to a summary file; resumable, MPI task farm, --tasks I:J slices.
int cmd_campaign(const std::vector<std::string>& args);
/// `cosmograd infer train|evaluate ...` / `infer --model FILE OBSERVED.h5`: neural posterior
/// estimation on a campaign, its calibration against Gaussian-likelihood baselines, posteriors.
int cmd_infer(const std::vector<std::string>& args);
/// `cosmograd sample --data DIR/data.h5 [--key value ...] --out DIR`: HMC over the white noise
/// and the cosmology (explicit field-level inference), resumable chains, diagnostics.
int cmd_sample(const std::vector<std::string>& args);
/// `cosmograd mock catalog|lightcurves|images|lenses|blends|stamps ...`: HOD galaxy mocks
/// (stellar masses, SEDs, photometry, shear), transient light curves, survey tiles, strong-lens,
/// blend and single-galaxy stamp sets.
int cmd_mock(const std::vector<std::string>& args);
/// `cosmograd imagegen train|evaluate`: the PSF-aware galaxy VAE with a latent flow prior
/// (Lanusse et al. 2021) on a stamp set, and its samples against held-out stamps.
int cmd_imagegen(const std::vector<std::string>& args);
/// `cosmograd vision detect|morphology|lens|restore train|evaluate|apply ...`: galaxy-level
/// vision modules trained on the mocks (apps/vision.hpp).
int cmd_vision(const std::vector<std::string>& args);
/// `cosmograd properties photoz|mass|stamps|hybrid|structure|sed ...`: galaxy property modules
/// (photo-z, stellar mass, Sersic parameters, SED emulator; apps/properties.hpp).
int cmd_properties(const std::vector<std::string>& args);
/// `cosmograd discover ssl|search|anomalies|map|transients|massmap|symbolic ...`: discovery
/// modules trained on the mocks (apps/discover.hpp).
int cmd_discover(const std::vector<std::string>& args);
/// `cosmograd gradcheck [config.ini] [--key value ...]`: adjoint vs finite differences.
int cmd_gradcheck(const std::vector<std::string>& args);

}  // namespace cosmograd::apps
