# discover: massmap tests -- Kaiser-Squires, the masked Wiener filter by CG against its closed
# forms, the metrics, the observations and the U-Net (unit), then `cosmograd discover massmap
# data|train|evaluate` end to end on the flat 32-pixel field of the fixture mock_run (one run used
# for every split: a smoke test of the plumbing, not a held-out measurement), and a bad key.
cosmograd_add_test(surveys_discover_massmap LABELS unit LIBS cosmograd::surveys_discovery
  SOURCES test_discover_massmap.cpp)
set(massmap_tiny --threads 1 --overwrite true)
add_test(NAME discover.massmap_data
         COMMAND $<TARGET_FILE:cosmograd> discover massmap data --train_runs ${mock_dir}/run
                 --validation_runs ${mock_dir}/run --test_runs ${mock_dir}/run --tile 16
                 --overwrite true --out ${mock_dir}/massmap_data)
set_tests_properties(discover.massmap_data PROPERTIES FIXTURES_REQUIRED mock_run
                     FIXTURES_SETUP massmap_data)
add_test(NAME discover.massmap_train
         COMMAND $<TARGET_FILE:cosmograd> discover massmap train
                 --tiles ${mock_dir}/massmap_data/massmap_tiles.h5 --depth 2 --base_channels 4
                 --norm_groups 2 --steps 4 --batch 2 --validate_every 2 ${massmap_tiny}
                 --out ${mock_dir}/massmap_train)
set_tests_properties(discover.massmap_train PROPERTIES FIXTURES_REQUIRED massmap_data
                     FIXTURES_SETUP massmap_model)
add_test(NAME discover.massmap_evaluate
         COMMAND $<TARGET_FILE:cosmograd> discover massmap evaluate
                 --tiles ${mock_dir}/massmap_data/massmap_tiles.h5
                 --model ${mock_dir}/massmap_train/massmap_unet.cgm ${massmap_tiny}
                 --out ${mock_dir}/massmap_eval)
set_tests_properties(discover.massmap_evaluate PROPERTIES
                     FIXTURES_REQUIRED "massmap_data;massmap_model"
                     PASS_REGULAR_EXPRESSION "Wiener \\(theory C_ell\\)")
# A tile side below 8 pixels is refused, naming the key.
add_test(NAME discover.massmap_bad_tile
         COMMAND $<TARGET_FILE:cosmograd> discover massmap data --train_runs ${mock_dir}/run
                 --test_runs ${mock_dir}/run --tile 4 --out ${mock_dir}/massmap_bad)
set_tests_properties(discover.massmap_bad_tile PROPERTIES FIXTURES_REQUIRED mock_run
                     PASS_REGULAR_EXPRESSION "tile = '4' is outside \\[8, 4096\\]")
set_tests_properties(discover.massmap_data discover.massmap_train discover.massmap_evaluate
                     discover.massmap_bad_tile PROPERTIES LABELS integration TIMEOUT 60)
