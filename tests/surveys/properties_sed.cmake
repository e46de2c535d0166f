# properties: sed tests (tests/surveys/properties_sed.cmake, included by CMakeLists.txt)
# The SED emulator (exact magnitude split, a tiny emulator that learns, save/load) and the
# template-fit photo-z (analytic amplitude, redshift recovery, age limit, errors).
cosmograd_add_test(surveys_properties_sed LABELS unit LIBS cosmograd::surveys_properties SOURCES
  test_properties_sed.cpp)

# `cosmograd properties sed`: a tiny emulator (a few hundred draws, a few steps), then its
# evaluation against the direct calculation and both template fits on the lightcone mock.
set(sed_tiny --threads 1 --overwrite true)
add_test(NAME properties.sed_train
         COMMAND $<TARGET_FILE:cosmograd> properties sed train --samples 300 --steps 20
                 --batch 64 --hidden 16,16 --validate_every 10 ${sed_tiny}
                 --out ${mock_dir}/properties_sed)
add_test(NAME properties.sed_evaluate
         COMMAND $<TARGET_FILE:cosmograd> properties sed evaluate
                 --model ${mock_dir}/properties_sed/sed_emulator.cgm --samples 200
                 --single_calls 10 --galaxies ${mock_dir}/lc/galaxies.h5 --fit_galaxies 40
                 --fit_grid_points 31 --fit_direct_templates 2 ${sed_tiny}
                 --out ${mock_dir}/properties_sed_eval)
set_tests_properties(properties.sed_train PROPERTIES FIXTURES_SETUP properties_sed_model)
set_tests_properties(properties.sed_evaluate PROPERTIES
                     FIXTURES_REQUIRED "mock_catalogs;properties_sed_model"
                     PASS_REGULAR_EXPRESSION "template_emulated")
add_test(NAME properties.sed_bad_seed
         COMMAND $<TARGET_FILE:cosmograd> properties sed evaluate
                 --model ${mock_dir}/properties_sed/sed_emulator.cgm --seed 1 ${sed_tiny}
                 --out ${mock_dir}/properties_sed_bad)
set_tests_properties(properties.sed_bad_seed PROPERTIES FIXTURES_REQUIRED properties_sed_model
                     PASS_REGULAR_EXPRESSION "is the training seed")
set_tests_properties(properties.sed_train properties.sed_evaluate properties.sed_bad_seed
                     PROPERTIES LABELS integration TIMEOUT 60)
