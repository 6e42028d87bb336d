//! The decoy listener and the ARM client the soak runs with.

use std::net::Ipv4Addr;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aml_arm::{
    ArmClient, ArmClientOptions, Cloud, PollOptions, RetryOptions, StaticTokenCredential, Timeouts,
};
use aml_emulator::Emulator;

use crate::{PER_TRY, TOKEN, lock};

/// A listener on 127.0.0.1 that nothing should ever contact: it counts connections and what
/// they sent.
pub(crate) struct Decoy {
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) connections: Arc<AtomicUsize>,
    pub(crate) received: Arc<Mutex<Vec<u8>>>,
    pub(crate) task: tokio::task::JoinHandle<()>,
}

pub(crate) async fn decoy() -> Decoy {
    use tokio::io::AsyncReadExt as _;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(Mutex::new(Vec::new()));
    let (count, store) = (Arc::clone(&connections), Arc::clone(&received));
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                if let Ok(n) = stream.read(&mut buf).await {
                    lock(&store).extend_from_slice(&buf[..n]);
                }
            });
        }
    });
    Decoy {
        addr,
        connections,
        received,
        task,
    }
}

pub(crate) fn arm(emu: &Emulator) -> ArmClient {
    ArmClient::new(
        StaticTokenCredential::new(TOKEN),
        ArmClientOptions {
            cloud: Cloud::custom(emu.base_url(), "https://management.azure.com/.default").unwrap(),
            retry: RetryOptions {
                max_retries: 4,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(25),
                ..RetryOptions::default()
            },
            poll: PollOptions {
                interval: Duration::from_millis(2),
                max_interval: Duration::from_millis(10),
                timeout: None,
            },
            timeouts: Timeouts {
                connect: Duration::from_secs(5),
                // Injected delays of 400 ms go beyond this: the try times out and is retried
                // while the first may still be waiting in the emulator (the report counts
                // whether such an abandoned try was ever handled).
                per_try: Some(PER_TRY),
                operation: None,
            },
            ..ArmClientOptions::default()
        },
    )
    .unwrap()
}
