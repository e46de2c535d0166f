# discovery: ssl sources (surveys/discovery/ssl.cmake, included by CMakeLists.txt): the
# contrastive (SimCLR) stamp encoder, its augmentations, labels and linear probe.
target_sources(cosmograd_surveys_discovery PRIVATE
  ssl_augment.cpp
  ssl_encoder.cpp
  ssl_probe.cpp
)
