# discover: explore tests (tests/surveys/discover_explore.cmake, included by CMakeLists.txt):
# the embeddings file, exact neighbours and retrieval scores, isolation forest and kNN
# distance, the self-organising map and anomaly injection (unit); then `cosmograd discover
# inject|search|anomalies|map` end to end on the 50 stamps of the fixture mock_stamps with the
# non-parametric-measure embeddings (integration), and a bad key value.
cosmograd_add_test(surveys_discover_explore LABELS unit LIBS cosmograd::surveys_discovery
  SOURCES test_discover_explore.cpp)
set(explore_tiny --threads 1 --overwrite true)
add_test(NAME discover.explore_inject
         COMMAND $<TARGET_FILE:cosmograd> discover inject --stamps ${mock_dir}/stamps
                 --fraction_lens 0.1 --fraction_merger 0.1 --fraction_artefact 0.1 --seed 3
                 --overwrite true --out ${mock_dir}/explore_inject)
set_tests_properties(discover.explore_inject PROPERTIES FIXTURES_REQUIRED mock_stamps
                     FIXTURES_SETUP explore_injected)
add_test(NAME discover.explore_anomalies
         COMMAND $<TARGET_FILE:cosmograd> discover anomalies --features true
                 --stamps ${mock_dir}/explore_inject --top 5,10 --k 3 --show 8 ${explore_tiny}
                 --out ${mock_dir}/explore_anomalies)
set_tests_properties(discover.explore_anomalies PROPERTIES FIXTURES_REQUIRED explore_injected
                     FIXTURES_SETUP explore_features PASS_REGULAR_EXPRESSION "isolation forest")
add_test(NAME discover.explore_search_map
         COMMAND /bin/sh -c "\"$0\" discover search --embeddings \"$1\"/embeddings_features.h5 --stamps \"$2\" --k 5 --threads 1 --overwrite true --out \"$1\"_search && \"$0\" discover map --embeddings \"$1\"/embeddings_features.h5 --stamps \"$2\" --width 4 --height 4 --threads 1 --overwrite true --out \"$1\"_map"
                 $<TARGET_FILE:cosmograd> ${mock_dir}/explore_anomalies ${mock_dir}/explore_inject)
set_tests_properties(discover.explore_search_map PROPERTIES FIXTURES_REQUIRED
                     "explore_injected;explore_features" PASS_REGULAR_EXPRESSION "topographic error")
# A bad key value is refused, naming the key.
add_test(NAME discover.explore_bad_fraction
         COMMAND $<TARGET_FILE:cosmograd> discover inject --stamps ${mock_dir}/stamps
                 --fraction_lens 2 --out ${mock_dir}/explore_bad)
set_tests_properties(discover.explore_bad_fraction PROPERTIES FIXTURES_REQUIRED mock_stamps
                     PASS_REGULAR_EXPRESSION "fraction_lens")
set_tests_properties(discover.explore_inject discover.explore_anomalies
                     discover.explore_search_map discover.explore_bad_fraction
                     PROPERTIES LABELS integration TIMEOUT 120)
