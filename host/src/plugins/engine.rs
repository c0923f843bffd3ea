//! The wasmtime engine: epoch interruption with a ticker thread, the pooling allocator
//! sized to the call limit, and one linker per import set, built once.

use std::time::Duration;

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::bindings;
use super::state::PluginState;

/// How often the epoch advances; deadlines are precise to about one tick.
pub(super) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Builds the engine. Falls back to on-demand allocation when the pool's address-space
/// reservation fails (small virtual address spaces, some containers).
pub(super) fn build_engine(
    max_concurrent_calls: u32,
    memory_bytes: usize,
) -> wasmtime::Result<Engine> {
    let n = max_concurrent_calls;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(n)
        .total_stacks(n)
        .total_memories(2 * n)
        .total_tables(4 * n)
        .total_core_instances(64 * n)
        .max_memories_per_component(4)
        .max_tables_per_component(16)
        // componentize-py components instantiate 38 core modules (one stub per WASI import).
        .max_core_instances_per_component(64)
        .max_memory_size(memory_bytes)
        // Return a call's pages to the OS when it ends, so memory stays bounded.
        .linear_memory_keep_resident(0);
    let engine =
        Engine::new(base_config().allocation_strategy(InstanceAllocationStrategy::Pooling(pool)))
            .or_else(|error| {
            tracing::warn!(%error, "pooling allocator unavailable, using on-demand allocation");
            Engine::new(&base_config())
        })?;
    spawn_epoch_ticker(&engine);
    Ok(engine)
}

fn base_config() -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true).wasm_component_model(true);
    config
}

/// A thread that advances the epoch until the engine is dropped.
fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("kura-epoch".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the epoch ticker: plugin deadlines will not fire");
    }
}

/// The linkers: sources and scrapers get the network imports; cleaners and playlist
/// filters do not.
pub(crate) struct Linkers {
    pub(crate) network: Linker<PluginState>,
    pub(crate) pure: Linker<PluginState>,
    /// Task plugins: the network imports, the queue's and the library's.
    pub(crate) task: Linker<PluginState>,
}

impl Linkers {
    /// Links WASI (inert: no preopens, env or sockets are granted) and the host imports.
    pub(super) fn new(engine: &Engine) -> wasmtime::Result<Self> {
        let mut network = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut network)?;
        // Each WIT version's imports under their own names: 0.1 and 0.2 plugins side by side.
        bindings::v0_2::source::SourcePlugin::add_to_linker::<_, HasSelf<_>>(&mut network, |s| s)?;
        bindings::v0_1::source::SourcePlugin::add_to_linker::<_, HasSelf<_>>(&mut network, |s| s)?;
        let mut pure = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut pure)?;
        bindings::v0_2::cleaner::CleanerPlugin::add_to_linker::<_, HasSelf<_>>(&mut pure, |s| s)?;
        bindings::v0_1::cleaner::CleanerPlugin::add_to_linker::<_, HasSelf<_>>(&mut pure, |s| s)?;
        let mut task = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut task)?;
        bindings::v0_2::task::TaskPlugin::add_to_linker::<_, HasSelf<_>>(&mut task, |s| s)?;
        Ok(Self {
            network,
            pure,
            task,
        })
    }
}
