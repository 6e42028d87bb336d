//! The listening socket on 127.0.0.1, plain or TLS, and connections a handler can reset.
//!
//! axum serves whatever [`Listener`] yields. Ours wraps every stream in a [`Connection`] that
//! shares a kill switch with the request handlers ([`ConnectionHandle`], reached through axum's
//! `ConnectInfo`). Killing makes every further read and write fail, so hyper drops the
//! connection without writing a byte; dropping it then closes the socket with `SO_LINGER` 0,
//! which sends a TCP reset: the client sees its connection reset with no response.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client may take to finish a TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The shared kill switch of one connection.
#[derive(Debug, Default)]
struct Switch {
    killed: AtomicBool,
}

/// A handler's handle on the connection its request came in on.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectionHandle(Arc<Switch>);

impl ConnectionHandle {
    /// Resets the connection instead of answering: nothing more is read or written on it.
    pub(crate) fn kill(&self) {
        self.0.killed.store(true, Ordering::Release);
    }
}

impl Connected<IncomingStream<'_, EmulatorListener>> for ConnectionHandle {
    fn connect_info(stream: IncomingStream<'_, EmulatorListener>) -> Self {
        stream.io().handle.clone()
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// One accepted connection.
pub(crate) struct Connection {
    stream: Stream,
    handle: ConnectionHandle,
}

impl Connection {
    fn new(stream: Stream) -> Self {
        Self {
            stream,
            handle: ConnectionHandle::default(),
        }
    }

    fn killed(&self) -> bool {
        self.handle.0.killed.load(Ordering::Acquire)
    }

    fn tcp(&self) -> &TcpStream {
        match &self.stream {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => tls.get_ref().0,
        }
    }
}

fn reset() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "connection reset by an injected fault",
    )
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.killed() {
            // A zero linger turns the close into a reset; it cannot block the thread.
            let _ = self.tcp().set_zero_linger();
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(reset()));
        }
        match &mut this.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(reset()));
        }
        match &mut this.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(reset()));
        }
        match &mut this.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.stream {
            Stream::Plain(tcp) => tcp.is_write_vectored(),
            Stream::Tls(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(reset()));
        }
        match &mut this.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(reset()));
        }
        match &mut this.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

enum Mode {
    Plain(TcpListener),
    /// Handshakes run in their own tasks, so a slow client holds up no one; finished ones
    /// arrive on the channel.
    Tls {
        ready: mpsc::Receiver<(Connection, SocketAddr)>,
        acceptor_task: JoinHandle<()>,
    },
}

/// The emulator's listener.
pub(crate) struct EmulatorListener {
    mode: Mode,
    local_addr: SocketAddr,
}

impl EmulatorListener {
    /// Serves plain HTTP on `listener`.
    pub(crate) fn plain(listener: TcpListener, local_addr: SocketAddr) -> Self {
        Self {
            mode: Mode::Plain(listener),
            local_addr,
        }
    }

    /// Serves HTTPS on `listener` with `acceptor`.
    pub(crate) fn tls(
        listener: TcpListener,
        local_addr: SocketAddr,
        acceptor: TlsAcceptor,
    ) -> Self {
        let (sender, ready) = mpsc::channel(64);
        let acceptor_task = tokio::spawn(async move {
            loop {
                let Ok((tcp, peer)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
                    {
                        let _ = sender
                            .send((Connection::new(Stream::Tls(Box::new(tls))), peer))
                            .await;
                    }
                });
            }
        });
        Self {
            mode: Mode::Tls {
                ready,
                acceptor_task,
            },
            local_addr,
        }
    }
}

impl Drop for EmulatorListener {
    fn drop(&mut self) {
        if let Mode::Tls { acceptor_task, .. } = &self.mode {
            acceptor_task.abort();
        }
    }
}

impl Listener for EmulatorListener {
    type Io = Connection;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match &mut self.mode {
            Mode::Plain(listener) => loop {
                match TcpListener::accept(listener).await {
                    Ok((tcp, peer)) => {
                        let _ = tcp.set_nodelay(true);
                        return (Connection::new(Stream::Plain(tcp)), peer);
                    }
                    // Out of file descriptors and the like: wait, as axum's own listener does.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            },
            Mode::Tls { ready, .. } => match ready.recv().await {
                Some(accepted) => accepted,
                None => std::future::pending().await,
            },
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}
