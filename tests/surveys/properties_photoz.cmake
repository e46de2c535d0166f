# properties: photo-z and stellar-mass tests (included by tests/surveys/CMakeLists.txt).
cosmograd_add_test(surveys_properties_photoz LABELS unit LIBS cosmograd::surveys_properties
  SOURCES test_properties_photoz.cpp)

# `cosmograd properties photoz|mass` train, evaluate, apply on the small lightcone mock (tiny
# networks, a few epochs: the CLI chain, model files, tables and p(z) files; the models' quality
# is measured by benchmarks/properties/run.sh).
set(props_tiny --threads 1 --overwrite true --hidden 16 --components 2 --epochs 2)
add_test(NAME properties.photoz_train
         COMMAND $<TARGET_FILE:cosmograd> properties photoz train
                 --galaxies ${mock_dir}/lc/galaxies.h5 ${props_tiny} --out ${mock_dir}/pz_mdn)
add_test(NAME properties.photoz_evaluate
         COMMAND $<TARGET_FILE:cosmograd> properties photoz evaluate
                 --galaxies ${mock_dir}/lc/galaxies.h5 --model ${mock_dir}/pz_mdn/photoz_mdn.cgm
                 --threads 1 --overwrite true --out ${mock_dir}/pz_eval)
add_test(NAME properties.photoz_apply
         COMMAND $<TARGET_FILE:cosmograd> properties photoz apply
                 --galaxies ${mock_dir}/lc/galaxies.h5 --model ${mock_dir}/pz_mdn/photoz_mdn.cgm
                 --threads 1 --overwrite true --out ${mock_dir}/pz_apply)
add_test(NAME properties.mass_train
         COMMAND $<TARGET_FILE:cosmograd> properties mass train --inputs photometry+redshift
                 --galaxies ${mock_dir}/lc/galaxies.h5 ${props_tiny} --out ${mock_dir}/mass_mdn)
add_test(NAME properties.mass_evaluate
         COMMAND $<TARGET_FILE:cosmograd> properties mass evaluate
                 --galaxies ${mock_dir}/lc/galaxies.h5 --model ${mock_dir}/mass_mdn/mass_mdn.cgm
                 --threads 1 --overwrite true --out ${mock_dir}/mass_eval)
add_test(NAME properties.mass_apply
         COMMAND $<TARGET_FILE:cosmograd> properties mass apply
                 --galaxies ${mock_dir}/lc/galaxies.h5 --model ${mock_dir}/mass_mdn/mass_mdn.cgm
                 --threads 1 --overwrite true --out ${mock_dir}/mass_apply)
set_tests_properties(properties.photoz_train properties.mass_train PROPERTIES
                     FIXTURES_REQUIRED mock_catalogs)
set_tests_properties(properties.photoz_train PROPERTIES FIXTURES_SETUP properties_pz)
set_tests_properties(properties.mass_train PROPERTIES FIXTURES_SETUP properties_mass)
set_tests_properties(properties.photoz_evaluate properties.photoz_apply PROPERTIES
                     FIXTURES_REQUIRED "mock_catalogs;properties_pz")
set_tests_properties(properties.photoz_evaluate PROPERTIES PASS_REGULAR_EXPRESSION "knn.*CDE")
set_tests_properties(properties.mass_evaluate properties.mass_apply PROPERTIES
                     FIXTURES_REQUIRED "mock_catalogs;properties_mass")
set_tests_properties(properties.mass_evaluate PROPERTIES PASS_REGULAR_EXPRESSION "least_squares")
# Bad input is refused, naming the key or the task.
add_test(NAME properties.bad_task COMMAND $<TARGET_FILE:cosmograd> properties colour train)
set_tests_properties(properties.bad_task PROPERTIES PASS_REGULAR_EXPRESSION "task 'colour'")
add_test(NAME properties.bad_inputs
         COMMAND $<TARGET_FILE:cosmograd> properties photoz train --galaxies x.h5
                 --inputs photometry+redshift)
set_tests_properties(properties.bad_inputs PROPERTIES PASS_REGULAR_EXPRESSION "inputs")
set_tests_properties(properties.photoz_train properties.photoz_evaluate properties.photoz_apply
                     properties.mass_train properties.mass_evaluate properties.mass_apply
                     properties.bad_task properties.bad_inputs
                     PROPERTIES LABELS integration TIMEOUT 120)
