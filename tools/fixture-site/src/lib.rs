//! A deterministic local site standing in for the remote sites Kura's plugins read: catalog pages, HLS streams,
//! covers, an Ollama-compatible endpoint and fault routes. The crate README is the contract.

mod aac;
pub mod catalog;
pub mod corpus;
mod covers;
mod crypto;
mod faults;
mod fmp4;
mod h264;
mod hls;
mod injection;
mod llm;
pub mod media;
mod pages;
mod playback;
mod prng;
mod ranges;
mod server;
mod ts;
mod video;

pub use injection::{FOREVER, Fault};
pub use llm::{NoisePattern, llm_answer, llm_answer_zh, llm_noise_pattern, llm_reply};
pub use server::{FixtureConfig, FixtureSite};
