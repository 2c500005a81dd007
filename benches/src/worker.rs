//! A persistent helper thread for the multi-threaded benchmarks.
//!
//! A [`Worker`] owns some state built on its own thread (a store and an instance, a loader thread, ...) and
//! runs jobs on it on demand. A measured iteration then pays one channel wake-up (microseconds), not a thread
//! spawn and an instantiation.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

type Job<S> = Box<dyn FnOnce(&mut S) -> u64 + Send>;

/// A thread holding a state `S` and running jobs on it, one at a time.
pub struct Worker<S: 'static> {
    jobs: Option<Sender<Job<S>>>,
    done: Receiver<u64>,
    handle: Option<JoinHandle<()>>,
}

impl<S: 'static> Worker<S> {
    /// Start a thread named `name` and build its state with `init` on it; returns when the state is ready.
    /// Panics if `init` panics.
    pub fn new(name: &str, init: impl FnOnce() -> S + Send + 'static) -> Self {
        let (jobs, job_rx) = channel::<Job<S>>();
        let (done_tx, done) = channel();
        let handle = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let mut state = init();
                if done_tx.send(0).is_err() {
                    return;
                }
                for job in job_rx {
                    if done_tx.send(job(&mut state)).is_err() {
                        break;
                    }
                }
            })
            .expect("cannot spawn a worker thread");
        done.recv().expect("worker setup panicked");
        Self { jobs: Some(jobs), done, handle: Some(handle) }
    }

    /// Start `job` on the worker (returns at once).
    pub fn start(&self, job: impl FnOnce(&mut S) -> u64 + Send + 'static) {
        self.jobs.as_ref().expect("worker running").send(Box::new(job)).expect("worker thread died");
    }

    /// Wait for the job started last; its result. Panics if the job panicked.
    pub fn wait(&self) -> u64 {
        self.done.recv().expect("worker job panicked")
    }

    /// Run `job` on the worker and wait for it.
    pub fn run(&self, job: impl FnOnce(&mut S) -> u64 + Send + 'static) -> u64 {
        self.start(job);
        self.wait()
    }
}

impl<S: 'static> Drop for Worker<S> {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_jobs_on_its_state() {
        let w = Worker::new("t", || 40u64);
        assert_eq!(w.run(|s| *s + 2), 42);
        w.start(|s| {
            *s += 1;
            *s
        });
        assert_eq!(w.wait(), 41);
    }
}
