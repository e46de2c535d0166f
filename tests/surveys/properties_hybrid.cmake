# properties: hybrid tests (tests/surveys/properties_hybrid.cmake, included by CMakeLists.txt)
# surveys/properties/: multi-band stamps (flux, noise, depth consistency, file round trip,
# alignment with the sample) and the hybrid CNN + photometry photo-z network.
cosmograd_add_test(surveys_properties_hybrid LABELS unit LIBS cosmograd::surveys_properties
  SOURCES test_properties_hybrid.cpp)

# The commands on the small lightcone mock, with tiny settings (< 60 s together; stamps that do
# not match the galaxies are refused by require_aligned, tested in test_properties_hybrid.cpp).
add_test(NAME properties.stamps
         COMMAND $<TARGET_FILE:cosmograd> properties stamps
                 --galaxies ${mock_dir}/lc/galaxies.h5 --size 11 --max_mag 25.3 --threads 1
                 --overwrite true --out ${mock_dir}/properties_stamps)
set_tests_properties(properties.stamps PROPERTIES FIXTURES_REQUIRED mock_catalogs
                     FIXTURES_SETUP properties_multiband_stamps
                     PASS_REGULAR_EXPRESSION "render_seconds")
add_test(NAME properties.hybrid_train
         COMMAND $<TARGET_FILE:cosmograd> properties hybrid train
                 --galaxies ${mock_dir}/lc/galaxies.h5
                 --stamps ${mock_dir}/properties_stamps/multiband_stamps.h5
                 --channels 4,8 --photometry_hidden 8 --hidden 8 --components 2 --epochs 1
                 --batch 32 --threads 1 --overwrite true --out ${mock_dir}/properties_hybrid)
set_tests_properties(properties.hybrid_train PROPERTIES
                     FIXTURES_REQUIRED "mock_catalogs;properties_multiband_stamps"
                     FIXTURES_SETUP properties_hybrid_model
                     PASS_REGULAR_EXPRESSION "validation_sigma_mad")
add_test(NAME properties.hybrid_apply
         COMMAND $<TARGET_FILE:cosmograd> properties hybrid apply
                 --model ${mock_dir}/properties_hybrid/hybrid_photoz.cgm
                 --galaxies ${mock_dir}/lc/galaxies.h5
                 --stamps ${mock_dir}/properties_stamps/multiband_stamps.h5 --rows test
                 --threads 1 --overwrite true --out ${mock_dir}/properties_hybrid_apply)
set_tests_properties(properties.hybrid_apply PROPERTIES
                     FIXTURES_REQUIRED "mock_catalogs;properties_multiband_stamps;properties_hybrid_model"
                     PASS_REGULAR_EXPRESSION "sigma_mad")
# A bad key value is refused, naming the key and what is allowed.
add_test(NAME properties.hybrid_bad_rows
         COMMAND $<TARGET_FILE:cosmograd> properties hybrid apply --model x.cgm --galaxies x.h5
                 --stamps y.h5 --rows everything)
set_tests_properties(properties.hybrid_bad_rows PROPERTIES
                     PASS_REGULAR_EXPRESSION "rows.*everything.*all, train, validation, test")
set_tests_properties(properties.stamps properties.hybrid_train properties.hybrid_apply
                     properties.hybrid_bad_rows
                     PROPERTIES LABELS integration TIMEOUT 120)
