# properties: structure tests -- the Levenberg-Marquardt Sersic fitter, the Sersic stamp file
# and the CNN (unit), then `cosmograd properties structure data|train|evaluate|apply` end to end
# on the lightcone mock of the fixture mock_catalogs with tiny settings (integration).
cosmograd_add_test(surveys_properties_structure LABELS unit LIBS cosmograd::surveys_properties
  SOURCES test_properties_structure.cpp)
set(structure_tiny --threads 1 --overwrite true)
add_test(NAME properties.structure_data
         COMMAND $<TARGET_FILE:cosmograd> properties structure data
                 --galaxies ${mock_dir}/lc/galaxies.h5 --count 40 --size 32 --max_mag 26
                 --min_snr 10 ${structure_tiny} --out ${mock_dir}/structure_data)
set_tests_properties(properties.structure_data PROPERTIES FIXTURES_REQUIRED mock_catalogs
                     FIXTURES_SETUP structure_data)
add_test(NAME properties.structure_train
         COMMAND $<TARGET_FILE:cosmograd> properties structure train
                 --stamps ${mock_dir}/structure_data/sersic_stamps.h5 --steps 3 --batch 4
                 --channels 4,8 --hidden 8 --validate_every 2 --validation_fraction 0.2
                 --test_fraction 0.2 ${structure_tiny} --out ${mock_dir}/structure_train)
set_tests_properties(properties.structure_train PROPERTIES FIXTURES_REQUIRED structure_data
                     FIXTURES_SETUP structure_model)
add_test(NAME properties.structure_evaluate
         COMMAND $<TARGET_FILE:cosmograd> properties structure evaluate
                 --stamps ${mock_dir}/structure_data/sersic_stamps.h5
                 --model ${mock_dir}/structure_train/structure_net.cgm --fit_count 4
                 --max_iterations 20 ${structure_tiny} --out ${mock_dir}/structure_eval)
set_tests_properties(properties.structure_evaluate PROPERTIES
                     FIXTURES_REQUIRED "structure_data;structure_model"
                     PASS_REGULAR_EXPRESSION "galaxies/s")
add_test(NAME properties.structure_apply
         COMMAND $<TARGET_FILE:cosmograd> properties structure apply
                 --stamps ${mock_dir}/structure_data/sersic_stamps.h5
                 --model ${mock_dir}/structure_train/structure_net.cgm ${structure_tiny}
                 --out ${mock_dir}/structure_apply)
set_tests_properties(properties.structure_apply PROPERTIES
                     FIXTURES_REQUIRED "structure_data;structure_model")
# A bad key value is refused, naming the key.
add_test(NAME properties.structure_bad_snr
         COMMAND $<TARGET_FILE:cosmograd> properties structure data
                 --galaxies ${mock_dir}/lc/galaxies.h5 --min_snr -1 --out ${mock_dir}/structure_bad)
set_tests_properties(properties.structure_bad_snr PROPERTIES FIXTURES_REQUIRED mock_catalogs
                     PASS_REGULAR_EXPRESSION "min_snr")
set_tests_properties(properties.structure_data properties.structure_train
                     properties.structure_evaluate properties.structure_apply
                     properties.structure_bad_snr PROPERTIES LABELS integration TIMEOUT 60)
