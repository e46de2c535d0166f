# discover: ssl tests (tests/surveys/discover_ssl.cmake, included by CMakeLists.txt): the
# NT-Xent loss, augmentations, labels, linear probe and encoder file (unit), then
# `cosmograd discover ssl train|embed|probe` end to end on the 50 stamps of the fixture
# mock_stamps with a tiny network (integration), and a bad temperature refused by name.
cosmograd_add_test(surveys_discover_ssl LABELS unit LIBS cosmograd::surveys_discovery
  SOURCES test_discover_ssl.cpp)
set(ssl_tiny --threads 1 --overwrite true)
add_test(NAME discover.ssl_train
         COMMAND $<TARGET_FILE:cosmograd> discover ssl train --stamps ${mock_dir}/stamps
                 --epochs 2 --batch 16 --stage_channels 4,8 --blocks_per_stage 1
                 --embedding_dim 8 --projection_dim 8 --zbins 2 ${ssl_tiny}
                 --out ${mock_dir}/ssl_train)
set_tests_properties(discover.ssl_train PROPERTIES FIXTURES_REQUIRED mock_stamps
                     FIXTURES_SETUP ssl_model PASS_REGULAR_EXPRESSION "validation_loss")
add_test(NAME discover.ssl_embed
         COMMAND $<TARGET_FILE:cosmograd> discover ssl embed --stamps ${mock_dir}/stamps
                 --model ${mock_dir}/ssl_train/discover_ssl_encoder.cgm --split test ${ssl_tiny}
                 --out ${mock_dir}/ssl_embed/embeddings_test.h5)
set_tests_properties(discover.ssl_embed PROPERTIES FIXTURES_REQUIRED "mock_stamps;ssl_model"
                     PASS_REGULAR_EXPRESSION "labels morphology zbin")
add_test(NAME discover.ssl_probe
         COMMAND $<TARGET_FILE:cosmograd> discover ssl probe --stamps ${mock_dir}/stamps
                 --model ${mock_dir}/ssl_train/discover_ssl_encoder.cgm --label_fraction 0.5
                 --supervised_epochs 1 --supervised_batch 8 ${ssl_tiny}
                 --out ${mock_dir}/ssl_probe)
set_tests_properties(discover.ssl_probe PROPERTIES FIXTURES_REQUIRED "mock_stamps;ssl_model"
                     PASS_REGULAR_EXPRESSION "SSL linear probe")
# A bad key value is refused, naming the key.
add_test(NAME discover.ssl_bad_temperature
         COMMAND $<TARGET_FILE:cosmograd> discover ssl train --stamps ${mock_dir}/stamps
                 --temperature -1 --out ${mock_dir}/ssl_bad)
set_tests_properties(discover.ssl_bad_temperature PROPERTIES PASS_REGULAR_EXPRESSION "temperature")
set_tests_properties(discover.ssl_train discover.ssl_embed discover.ssl_probe
                     discover.ssl_bad_temperature PROPERTIES LABELS integration TIMEOUT 120)
