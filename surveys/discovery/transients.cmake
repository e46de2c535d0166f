# discovery: transients sources (surveys/discovery/transients.cmake, included by CMakeLists.txt):
# light curves in memory, Bazin fits and their features, a random forest, the PLAsTiCC metrics
# and the GRU classifier.
target_sources(cosmograd_surveys_discovery PRIVATE
  lightcurve_data.cpp
  bazin_fit.cpp
  random_forest.cpp
  transient_features.cpp
  transient_metrics.cpp
  transient_classifier.cpp
)
