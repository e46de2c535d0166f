# discover: transients tests (tests/surveys/discover_transients.cmake, included by CMakeLists.txt)
# -- the Bazin fitter, random forest, PLAsTiCC metrics, truncations and the GRU (unit), then
# `cosmograd discover transients train|evaluate` end to end on the 40 light curves of the
# fixture mock_lightcurves (${mock_dir}/lcurves) with tiny settings, and a bad key (integration).
cosmograd_add_test(surveys_discover_transients LABELS unit LIBS cosmograd::surveys_discovery
  SOURCES test_discover_transients.cpp)
add_test(NAME discover.transients_train
         COMMAND $<TARGET_FILE:cosmograd> discover transients train
                 --lightcurves ${mock_dir}/lcurves --hidden 8 --layers 1 --epochs 2 --batch 8
                 --min_detections 1 --validation_fraction 0.2 --threads 1 --overwrite true
                 --out ${mock_dir}/transients_train)
set_tests_properties(discover.transients_train PROPERTIES FIXTURES_REQUIRED mock_lightcurves
                     FIXTURES_SETUP transients_model PASS_REGULAR_EXPRESSION "best_epoch")
add_test(NAME discover.transients_evaluate
         COMMAND $<TARGET_FILE:cosmograd> discover transients evaluate
                 --model ${mock_dir}/transients_train/discover_transients_gru.cgm
                 --train ${mock_dir}/lcurves --test ${mock_dir}/lcurves --trees 5
                 --curve_offsets -10,0,20 --threads 1 --overwrite true
                 --out ${mock_dir}/transients_eval)
set_tests_properties(discover.transients_evaluate PROPERTIES
                     FIXTURES_REQUIRED "mock_lightcurves;transients_model"
                     PASS_REGULAR_EXPRESSION "flat log-loss")
# A bad key value is refused, naming the key.
add_test(NAME discover.transients_bad_hidden
         COMMAND $<TARGET_FILE:cosmograd> discover transients train
                 --lightcurves ${mock_dir}/lcurves --hidden 2 --out ${mock_dir}/transients_bad)
set_tests_properties(discover.transients_bad_hidden PROPERTIES FIXTURES_REQUIRED mock_lightcurves
                     PASS_REGULAR_EXPRESSION "hidden = 2")
set_tests_properties(discover.transients_train discover.transients_evaluate
                     discover.transients_bad_hidden PROPERTIES LABELS integration TIMEOUT 60)
