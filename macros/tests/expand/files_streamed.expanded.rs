pub trait Files: ::core::marker::Send + ::core::marker::Sync + 'static {
    fn upload(
        &self,
        data: indigo::ByteStream,
    ) -> impl ::core::future::Future<Output = u64> + ::core::marker::Send;
    fn download(
        &self,
        name: String,
    ) -> impl ::core::future::Future<Output = indigo::ByteStream> + ::core::marker::Send;
    fn size(
        &self,
        name: String,
    ) -> impl ::core::future::Future<Output = u64> + ::core::marker::Send;
}
///The `Files` contract (`Files` in `http://example.org/files`): its description, the bindings that can carry it, and constructors for hosting an implementation.
#[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
pub struct FilesContract;
impl ::indigo::__private::Contract for FilesContract {
    const DESCRIPTION: &'static ::indigo::__private::ContractDescription = &::indigo::__private::ContractDescription {
        name: "Files",
        namespace: "http://example.org/files",
        data_namespace: "http://schemas.datacontract.org/2004/07/",
        session_mode: ::indigo::__private::SessionMode::Allowed,
        operations: &[
            ::indigo::__private::OperationDescription {
                method: "upload",
                name: "Upload",
                action: "http://example.org/files/Files/Upload",
                reply_action: "http://example.org/files/Files/UploadResponse",
                is_one_way: false,
                is_initiating: true,
                is_terminating: false,
                access: ::indigo::__private::InstanceAccess::Shared,
                parameters: &["data"],
            },
            ::indigo::__private::OperationDescription {
                method: "download",
                name: "Download",
                action: "http://example.org/files/Files/Download",
                reply_action: "http://example.org/files/Files/DownloadResponse",
                is_one_way: false,
                is_initiating: true,
                is_terminating: false,
                access: ::indigo::__private::InstanceAccess::Shared,
                parameters: &["name"],
            },
            ::indigo::__private::OperationDescription {
                method: "size",
                name: "Size",
                action: "http://example.org/files/Files/Size",
                reply_action: "http://example.org/files/Files/SizeResponse",
                is_one_way: false,
                is_initiating: true,
                is_terminating: false,
                access: ::indigo::__private::InstanceAccess::Shared,
                parameters: &["name"],
            },
        ],
    };
    fn message_types(
        __schemas: &mut ::indigo::__private::SchemaSet,
    ) -> ::indigo::__private::Vec<::indigo::__private::OperationTypes> {
        #[allow(unused_imports)]
        use ::indigo::__private::{Described as _, Undescribed as _};
        ::indigo::__private::vec![
            ::indigo::__private::OperationTypes { parameters :
            ::indigo::__private::vec![(& ::indigo::__private::Probe:: <
            indigo::ByteStream > ::new()).schema(__schemas)], result :
            ::core::option::Option::Some((& ::indigo::__private::Probe:: < u64 > ::new())
            .schema(__schemas)), faults : ::indigo::__private::Vec::new(), },
            ::indigo::__private::OperationTypes { parameters :
            ::indigo::__private::vec![(& ::indigo::__private::Probe:: < String > ::new())
            .schema(__schemas)], result : ::core::option::Option::Some((&
            ::indigo::__private::Probe:: < indigo::ByteStream > ::new())
            .schema(__schemas)), faults : ::indigo::__private::Vec::new(), },
            ::indigo::__private::OperationTypes { parameters :
            ::indigo::__private::vec![(& ::indigo::__private::Probe:: < String > ::new())
            .schema(__schemas)], result : ::core::option::Option::Some((&
            ::indigo::__private::Probe:: < u64 > ::new()).schema(__schemas)), faults :
            ::indigo::__private::Vec::new(), }
        ]
    }
}
impl<
    B: ::indigo::__private::Binding + ::indigo::__private::StreamedBinding,
> ::indigo::__private::CarriedBy<B> for FilesContract {}
impl FilesContract {
    /// Hosts `S` with one instance per client session, made by `factory`.
    pub fn per_session<S, F>(factory: F) -> ::indigo::__private::Service<Self, S>
    where
        S: Files,
        F: ::core::ops::Fn() -> S + ::core::marker::Send + ::core::marker::Sync
            + 'static,
    {
        ::indigo::__private::Service::per_session(factory)
    }
    /// Hosts `S` with a new instance, made by `factory`, for every call.
    pub fn per_call<S, F>(factory: F) -> ::indigo::__private::Service<Self, S>
    where
        S: Files,
        F: ::core::ops::Fn() -> S + ::core::marker::Send + ::core::marker::Sync
            + 'static,
    {
        ::indigo::__private::Service::per_call(factory)
    }
    /// Hosts one instance for every call of every session.
    pub fn single<S: Files>(instance: S) -> ::indigo::__private::Service<Self, S> {
        ::indigo::__private::Service::single(instance)
    }
    /// Hosts `S` with instances shared by the sessions whose first message `key` maps
    /// to the same value, made by `factory` (see `Service::shared_by`).
    pub fn shared_by<S, K, F>(
        key: K,
        factory: F,
    ) -> ::indigo::__private::Service<Self, S>
    where
        S: Files,
        K: ::core::ops::Fn(
                &::indigo::__private::OperationContext,
            ) -> ::indigo::__private::Option<::indigo::__private::String>
            + ::core::marker::Send + ::core::marker::Sync + 'static,
        F: ::core::ops::Fn() -> S + ::core::marker::Send + ::core::marker::Sync
            + 'static,
    {
        ::indigo::__private::Service::shared_by(key, factory)
    }
}
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub enum __FilesCall {
    Upload { data: indigo::ByteStream },
    Download { name: String },
    Size { name: String },
}
impl<S: Files> ::indigo::__private::Dispatch<S> for FilesContract {
    type Cell = ::indigo::__private::SharedCell<S>;
    type Call = __FilesCall;
    fn decode(
        index: usize,
        request: &::indigo::__private::Message,
        quotas: &::indigo::__private::ReaderQuotas,
    ) -> ::core::result::Result<
        __FilesCall,
        ::indigo::__private::Box<::indigo::__private::MessageFault>,
    > {
        let contract = <FilesContract as ::indigo::__private::Contract>::DESCRIPTION;
        match index {
            0usize => {
                ::core::result::Result::Err(
                    ::indigo::__private::stream_expected(
                        &<FilesContract as ::indigo::__private::Contract>::DESCRIPTION
                            .operations[0usize],
                    ),
                )
            }
            1usize => {
                let op = &<FilesContract as ::indigo::__private::Contract>::DESCRIPTION
                    .operations[1usize];
                #[allow(unused_mut, unused_variables)]
                let mut reader = ::indigo::__private::open_request(
                    contract,
                    op,
                    request,
                    quotas,
                )?;
                let name = ::indigo::__private::read_param(op, &mut reader, "name")?;
                ::core::result::Result::Ok(__FilesCall::Download { name })
            }
            2usize => {
                let op = &<FilesContract as ::indigo::__private::Contract>::DESCRIPTION
                    .operations[2usize];
                #[allow(unused_mut, unused_variables)]
                let mut reader = ::indigo::__private::open_request(
                    contract,
                    op,
                    request,
                    quotas,
                )?;
                let name = ::indigo::__private::read_param(op, &mut reader, "name")?;
                ::core::result::Result::Ok(__FilesCall::Size { name })
            }
            _ => {
                ::core::result::Result::Err(
                    ::indigo::__private::Box::new(
                        ::indigo::__private::MessageFault::action_not_supported(
                            request.action(),
                        ),
                    ),
                )
            }
        }
    }
    const STREAMED: bool = true;
    fn takes_stream(index: usize) -> bool {
        ::core::matches!(index, 0usize)
    }
    fn decode_streamed(
        index: usize,
        request: &::indigo::__private::Message,
        stream: ::indigo::__private::ByteStream,
        quotas: &::indigo::__private::ReaderQuotas,
    ) -> ::core::result::Result<
        __FilesCall,
        ::indigo::__private::Box<::indigo::__private::MessageFault>,
    > {
        let contract = <FilesContract as ::indigo::__private::Contract>::DESCRIPTION;
        match index {
            0usize => {
                let op = &<FilesContract as ::indigo::__private::Contract>::DESCRIPTION
                    .operations[0usize];
                #[allow(unused_mut, unused_variables)]
                let mut reader = ::indigo::__private::open_request(
                    contract,
                    op,
                    request,
                    quotas,
                )?;
                let data = stream;
                ::core::result::Result::Ok(__FilesCall::Upload { data })
            }
            _ => {
                ::core::mem::drop(stream);
                <Self as ::indigo::__private::Dispatch<
                    S,
                >>::decode(index, request, quotas)
            }
        }
    }
    fn invoke(
        call: __FilesCall,
        guard: <Self::Cell as ::indigo::__private::InstanceCell<S>>::Guard,
    ) -> ::indigo::__private::BoxFuture<'static, ::indigo::__private::Reply> {
        let contract = <FilesContract as ::indigo::__private::Contract>::DESCRIPTION;
        ::indigo::__private::Box::pin(async move {
            #[allow(unused_mut)]
            let mut guard = guard;
            match call {
                __FilesCall::Upload { data } => {
                    let op = &<FilesContract as ::indigo::__private::Contract>::DESCRIPTION
                        .operations[0usize];
                    let instance: &S = &guard;
                    let value = <S as Files>::upload(instance, data).await;
                    ::indigo::__private::reply_value(
                        contract,
                        op,
                        "UploadResult",
                        &value,
                    )
                }
                __FilesCall::Download { name } => {
                    let op = &<FilesContract as ::indigo::__private::Contract>::DESCRIPTION
                        .operations[1usize];
                    let instance: &S = &guard;
                    let value = <S as Files>::download(instance, name).await;
                    ::indigo::__private::reply_stream(
                        contract,
                        op,
                        "DownloadResult",
                        value,
                    )
                }
                __FilesCall::Size { name } => {
                    let op = &<FilesContract as ::indigo::__private::Contract>::DESCRIPTION
                        .operations[2usize];
                    let instance: &S = &guard;
                    let value = <S as Files>::size(instance, name).await;
                    ::indigo::__private::reply_value(contract, op, "SizeResult", &value)
                }
            }
        })
    }
}
///A client of the `Files` contract.
pub struct FilesClient {
    runtime: ::indigo::__private::ClientRuntime,
}
impl ::core::fmt::Debug for FilesClient {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.debug_struct(::core::stringify!(FilesClient))
            .field("runtime", &self.runtime)
            .finish()
    }
}
impl FilesClient {
    ///Creates a client of the `Files` service at `address` over `binding` without opening it: [`open`](Self::open), or the first call, opens it.
    ///
    /// The contract has stream operations, so every call uses streamed transfer
    /// (one connection per call, no session), as WCF's `TransferMode.Streamed`.
    pub fn new<B>(binding: &B, address: &str) -> Self
    where
        B: ::indigo::__private::StreamedBinding,
        FilesContract: ::indigo::__private::CarriedBy<B>,
    {
        Self::from_runtime(
            ::indigo::__private::ClientRuntime::new_streamed(
                <FilesContract as ::indigo::__private::Contract>::DESCRIPTION,
                binding,
                address,
            ),
        )
    }
    ///Creates a client of the `Files` service at `address` over `binding` and opens it.
    ///
    /// The future does not borrow its arguments; it is boxed so that a binding that cannot
    /// carry this contract is reported once, at this call.
    pub fn connect<B>(
        binding: &B,
        address: &str,
    ) -> ::indigo::__private::BoxFuture<
        'static,
        ::core::result::Result<Self, ::indigo::__private::Error>,
    >
    where
        B: ::indigo::__private::StreamedBinding,
        FilesContract: ::indigo::__private::CarriedBy<B>,
    {
        let client = Self::new(binding, address);
        ::indigo::__private::Box::pin(async move {
            client.runtime.open().await?;
            ::core::result::Result::Ok(client)
        })
    }
    /// Opens the channel now rather than at the first call.
    pub async fn open(&self) -> ::core::result::Result<(), ::indigo::__private::Error> {
        self.runtime.open().await
    }
    fn from_runtime(runtime: ::indigo::__private::ClientRuntime) -> Self {
        FilesClient { runtime }
    }
    /// Used by a duplex service contract for its callback proxy; not public API.
    #[doc(hidden)]
    pub fn __from_runtime(runtime: ::indigo::__private::ClientRuntime) -> Self {
        FilesClient { runtime }
    }
    /// The session's lifecycle state.
    pub fn state(&self) -> ::indigo::CommunicationState {
        self.runtime.state()
    }
    /// Ends the session gracefully.
    pub async fn close(self) -> ::core::result::Result<(), ::indigo::__private::Error> {
        self.runtime.close().await
    }
    /// Drops the session without a handshake. Dropping the client does the same.
    pub fn abort(self) {
        self.runtime.abort()
    }
    /// Gives every later call of this client `timeout` to complete; a call that takes
    /// longer fails with `Error::OperationTimeout` and the session stays usable. For one
    /// call only, see `indigo::client::deadline`.
    pub fn with_operation_timeout(self, timeout: ::core::time::Duration) -> Self {
        Self::from_runtime(self.runtime.with_operation_timeout(timeout))
    }
    /**

Operation `Upload` (action `http://example.org/files/Files/Upload`).*/
    pub async fn upload(
        &self,
        data: indigo::ByteStream,
    ) -> ::core::result::Result<u64, ::indigo::__private::Error> {
        let op = &<FilesContract as ::indigo::__private::Contract>::DESCRIPTION
            .operations[0usize];
        let request = self.runtime.stream_request(op, "data", data);
        let reply = self.runtime.call_streamed(request, false).await?;
        let value = self.runtime.read_result(op, reply.message, "UploadResult")?;
        ::core::result::Result::Ok(value)
    }
    /**

Operation `Download` (action `http://example.org/files/Files/Download`).*/
    pub async fn download(
        &self,
        name: String,
    ) -> ::core::result::Result<indigo::ByteStream, ::indigo::__private::Error> {
        let op = &<FilesContract as ::indigo::__private::Contract>::DESCRIPTION
            .operations[1usize];
        #[allow(unused_mut)]
        let mut body = self.runtime.body(op);
        ::indigo::__private::write_part(&mut body, "name", &name)?;
        let request = self.runtime.buffered_request(op, body.finish());
        let reply = self.runtime.call_streamed(request, true).await?;
        let value = self.runtime.read_stream(op, reply)?;
        ::core::result::Result::Ok(value)
    }
    /**

Operation `Size` (action `http://example.org/files/Files/Size`).*/
    pub async fn size(
        &self,
        name: String,
    ) -> ::core::result::Result<u64, ::indigo::__private::Error> {
        let op = &<FilesContract as ::indigo::__private::Contract>::DESCRIPTION
            .operations[2usize];
        #[allow(unused_mut)]
        let mut body = self.runtime.body(op);
        ::indigo::__private::write_part(&mut body, "name", &name)?;
        let reply = self.runtime.request(op, body.finish()).await?;
        let value = self.runtime.read_result::<_>(op, reply, "SizeResult")?;
        ::core::result::Result::Ok(value)
    }
}
