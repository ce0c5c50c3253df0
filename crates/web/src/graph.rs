//! Graph layout for the network view.
