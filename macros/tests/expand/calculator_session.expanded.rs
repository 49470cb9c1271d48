/// A calculator session.
pub trait CalculatorSession: ::core::marker::Send + ::core::marker::Sync + 'static {
    fn clear(
        &mut self,
    ) -> impl ::core::future::Future<Output = ()> + ::core::marker::Send;
    fn add_to(
        &mut self,
        value: f64,
    ) -> impl ::core::future::Future<Output = ()> + ::core::marker::Send;
    fn equals(
        &mut self,
    ) -> impl ::core::future::Future<Output = f64> + ::core::marker::Send;
    fn divide(
        &self,
        divisor: f64,
    ) -> impl ::core::future::Future<
        Output = Result<f64, indigo::Fault<DivideByZero>>,
    > + ::core::marker::Send;
}
///The `CalculatorSession` contract (`ICalculatorSession` in `http://tempuri.org/`): its description, the bindings that can carry it, and constructors for hosting an implementation.
#[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
pub struct CalculatorSessionContract;
impl ::indigo::__private::Contract for CalculatorSessionContract {
    const DESCRIPTION: &'static ::indigo::__private::ContractDescription = &::indigo::__private::ContractDescription {
        name: "ICalculatorSession",
        namespace: "http://tempuri.org/",
        data_namespace: "http://schemas.datacontract.org/2004/07/",
        session_mode: ::indigo::__private::SessionMode::Required,
        operations: &[
            ::indigo::__private::OperationDescription {
                method: "clear",
                name: "Clear",
                action: "http://tempuri.org/ICalculatorSession/Clear",
                reply_action: "http://tempuri.org/ICalculatorSession/ClearResponse",
                is_one_way: false,
                is_initiating: true,
                is_terminating: false,
                access: ::indigo::__private::InstanceAccess::Exclusive,
                parameters: &[],
            },
            ::indigo::__private::OperationDescription {
                method: "add_to",
                name: "AddTo",
                action: "http://tempuri.org/ICalculatorSession/AddTo",
                reply_action: "http://tempuri.org/ICalculatorSession/AddToResponse",
                is_one_way: true,
                is_initiating: false,
                is_terminating: false,
                access: ::indigo::__private::InstanceAccess::Exclusive,
                parameters: &["n"],
            },
            ::indigo::__private::OperationDescription {
                method: "equals",
                name: "Equals",
                action: "http://tempuri.org/ICalculatorSession/Equals",
                reply_action: "http://tempuri.org/ICalculatorSession/EqualsResponse",
                is_one_way: false,
                is_initiating: false,
                is_terminating: true,
                access: ::indigo::__private::InstanceAccess::Exclusive,
                parameters: &[],
            },
            ::indigo::__private::OperationDescription {
                method: "divide",
                name: "Divide",
                action: "http://tempuri.org/ICalculatorSession/Divide",
                reply_action: "http://tempuri.org/ICalculatorSession/DivideResponse",
                is_one_way: false,
                is_initiating: false,
                is_terminating: false,
                access: ::indigo::__private::InstanceAccess::Shared,
                parameters: &["divisor"],
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
            ::indigo::__private::vec![], result : ::core::option::Option::None, faults :
            ::indigo::__private::Vec::new(), }, ::indigo::__private::OperationTypes {
            parameters : ::indigo::__private::vec![(& ::indigo::__private::Probe:: < f64
            > ::new()).schema(__schemas)], result : ::core::option::Option::None, faults
            : ::indigo::__private::Vec::new(), }, ::indigo::__private::OperationTypes {
            parameters : ::indigo::__private::vec![], result :
            ::core::option::Option::Some((& ::indigo::__private::Probe:: < f64 > ::new())
            .schema(__schemas)), faults : ::indigo::__private::Vec::new(), },
            ::indigo::__private::OperationTypes { parameters :
            ::indigo::__private::vec![(& ::indigo::__private::Probe:: < f64 > ::new())
            .schema(__schemas)], result : ::core::option::Option::Some((&
            ::indigo::__private::Probe:: < f64 > ::new()).schema(__schemas)), faults : (&
            ::indigo::__private::Probe:: < DivideByZero > ::new()).faults(__schemas,
            "DivideByZero"), }
        ]
    }
}
impl<B: ::indigo::__private::SessionfulBinding> ::indigo::__private::CarriedBy<B>
for CalculatorSessionContract {}
impl CalculatorSessionContract {
    /// Hosts `S` with one instance per client session, made by `factory`.
    pub fn per_session<S, F>(factory: F) -> ::indigo::__private::Service<Self, S>
    where
        S: CalculatorSession,
        F: ::core::ops::Fn() -> S + ::core::marker::Send + ::core::marker::Sync
            + 'static,
    {
        ::indigo::__private::Service::per_session(factory)
    }
    /// Hosts `S` with a new instance, made by `factory`, for every call.
    pub fn per_call<S, F>(factory: F) -> ::indigo::__private::Service<Self, S>
    where
        S: CalculatorSession,
        F: ::core::ops::Fn() -> S + ::core::marker::Send + ::core::marker::Sync
            + 'static,
    {
        ::indigo::__private::Service::per_call(factory)
    }
    /// Hosts one instance for every call of every session.
    pub fn single<S: CalculatorSession>(
        instance: S,
    ) -> ::indigo::__private::Service<Self, S> {
        ::indigo::__private::Service::single(instance)
    }
    /// Hosts `S` with instances shared by the sessions whose first message `key` maps
    /// to the same value, made by `factory` (see `Service::shared_by`).
    pub fn shared_by<S, K, F>(
        key: K,
        factory: F,
    ) -> ::indigo::__private::Service<Self, S>
    where
        S: CalculatorSession,
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
pub enum __CalculatorSessionCall {
    Clear {},
    AddTo { value: f64 },
    Equals {},
    Divide { divisor: f64 },
}
impl<S: CalculatorSession> ::indigo::__private::Dispatch<S>
for CalculatorSessionContract {
    type Cell = ::indigo::__private::SharedCell<S>;
    type Call = __CalculatorSessionCall;
    fn decode(
        index: usize,
        request: &::indigo::__private::Message,
        quotas: &::indigo::__private::ReaderQuotas,
    ) -> ::core::result::Result<
        __CalculatorSessionCall,
        ::indigo::__private::Box<::indigo::__private::MessageFault>,
    > {
        let contract = <CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION;
        match index {
            0usize => {
                let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
                    .operations[0usize];
                #[allow(unused_mut, unused_variables)]
                let mut reader = ::indigo::__private::open_request(
                    contract,
                    op,
                    request,
                    quotas,
                )?;
                ::core::result::Result::Ok(__CalculatorSessionCall::Clear {})
            }
            1usize => {
                let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
                    .operations[1usize];
                #[allow(unused_mut, unused_variables)]
                let mut reader = ::indigo::__private::open_request(
                    contract,
                    op,
                    request,
                    quotas,
                )?;
                let value = ::indigo::__private::read_param(op, &mut reader, "n")?;
                ::core::result::Result::Ok(__CalculatorSessionCall::AddTo {
                    value,
                })
            }
            2usize => {
                let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
                    .operations[2usize];
                #[allow(unused_mut, unused_variables)]
                let mut reader = ::indigo::__private::open_request(
                    contract,
                    op,
                    request,
                    quotas,
                )?;
                ::core::result::Result::Ok(__CalculatorSessionCall::Equals {})
            }
            3usize => {
                let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
                    .operations[3usize];
                #[allow(unused_mut, unused_variables)]
                let mut reader = ::indigo::__private::open_request(
                    contract,
                    op,
                    request,
                    quotas,
                )?;
                let divisor = ::indigo::__private::read_param(
                    op,
                    &mut reader,
                    "divisor",
                )?;
                ::core::result::Result::Ok(__CalculatorSessionCall::Divide {
                    divisor,
                })
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
    fn invoke(
        call: __CalculatorSessionCall,
        guard: <Self::Cell as ::indigo::__private::InstanceCell<S>>::Guard,
    ) -> ::indigo::__private::BoxFuture<'static, ::indigo::__private::Reply> {
        let contract = <CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION;
        ::indigo::__private::Box::pin(async move {
            #[allow(unused_mut)]
            let mut guard = guard;
            match call {
                __CalculatorSessionCall::Clear {} => {
                    let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
                        .operations[0usize];
                    let ::core::option::Option::Some(instance) = ::indigo::__private::InstanceGuard::exclusive(
                        &mut guard,
                    ) else {
                        return ::indigo::__private::access_violation(op);
                    };
                    <S as CalculatorSession>::clear(instance).await;
                    ::indigo::__private::reply_unit(contract, op)
                }
                __CalculatorSessionCall::AddTo { value } => {
                    let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
                        .operations[1usize];
                    let ::core::option::Option::Some(instance) = ::indigo::__private::InstanceGuard::exclusive(
                        &mut guard,
                    ) else {
                        return ::indigo::__private::access_violation(op);
                    };
                    <S as CalculatorSession>::add_to(instance, value).await;
                    ::indigo::__private::reply_unit(contract, op)
                }
                __CalculatorSessionCall::Equals {} => {
                    let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
                        .operations[2usize];
                    let ::core::option::Option::Some(instance) = ::indigo::__private::InstanceGuard::exclusive(
                        &mut guard,
                    ) else {
                        return ::indigo::__private::access_violation(op);
                    };
                    let value = <S as CalculatorSession>::equals(instance).await;
                    ::indigo::__private::reply_value(
                        contract,
                        op,
                        "EqualsResult",
                        &value,
                    )
                }
                __CalculatorSessionCall::Divide { divisor } => {
                    let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
                        .operations[3usize];
                    let instance: &S = &guard;
                    match <S as CalculatorSession>::divide(instance, divisor).await {
                        ::core::result::Result::Ok(value) => {
                            ::indigo::__private::reply_value(
                                contract,
                                op,
                                "DivideResult",
                                &value,
                            )
                        }
                        ::core::result::Result::Err(fault) => {
                            ::indigo::__private::reply_fault(
                                contract,
                                op,
                                fault,
                                "http://tempuri.org/ICalculatorSession/DivideDivideByZeroFault",
                                "DivideByZero",
                            )
                        }
                    }
                }
            }
        })
    }
}
///A client session of the `ICalculatorSession` contract. It starts `Idle`, where only initiating operations can be called; the first one moves it to `Active`. A terminating operation consumes it and closes the session.
pub struct CalculatorSessionClient<State = ::indigo::__private::Idle> {
    runtime: ::indigo::__private::ClientRuntime,
    _state: ::core::marker::PhantomData<fn() -> State>,
}
impl<State> ::core::fmt::Debug for CalculatorSessionClient<State> {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.debug_struct(::core::stringify!(CalculatorSessionClient))
            .field("state", &::core::any::type_name::<State>())
            .field("runtime", &self.runtime)
            .finish()
    }
}
impl CalculatorSessionClient<::indigo::__private::Idle> {
    ///Creates a client of the `ICalculatorSession` service at `address` over `binding` without opening it: [`open`](Self::open), or the first call, opens it.
    pub fn new<B>(binding: &B, address: &str) -> Self
    where
        B: ::indigo::__private::Binding,
        CalculatorSessionContract: ::indigo::__private::CarriedBy<B>,
    {
        Self::from_runtime(
            ::indigo::__private::ClientRuntime::new(
                <CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION,
                binding,
                address,
            ),
        )
    }
    ///Creates a client of the `ICalculatorSession` service at `address` over `binding` and opens it.
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
        B: ::indigo::__private::Binding,
        CalculatorSessionContract: ::indigo::__private::CarriedBy<B>,
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
    /**

Operation `Clear` (action `http://tempuri.org/ICalculatorSession/Clear`).*/
    pub async fn clear(
        self,
    ) -> ::core::result::Result<
        CalculatorSessionClient<::indigo::__private::Active>,
        ::indigo::__private::Error,
    > {
        let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
            .operations[0usize];
        #[allow(unused_mut)]
        let mut body = self.runtime.body(op);
        let reply = self.runtime.request(op, body.finish()).await?;
        let value = self.runtime.read_unit(op, reply)?;
        ::core::result::Result::Ok({
            let () = value;
            CalculatorSessionClient::from_runtime(self.runtime)
        })
    }
}
impl CalculatorSessionClient<::indigo::__private::Active> {
    /**

Operation `Clear` (action `http://tempuri.org/ICalculatorSession/Clear`).*/
    pub async fn clear(&self) -> ::core::result::Result<(), ::indigo::__private::Error> {
        let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
            .operations[0usize];
        #[allow(unused_mut)]
        let mut body = self.runtime.body(op);
        let reply = self.runtime.request(op, body.finish()).await?;
        let value = self.runtime.read_unit(op, reply)?;
        ::core::result::Result::Ok(value)
    }
    /**

Operation `AddTo` (action `http://tempuri.org/ICalculatorSession/AddTo`), one-way, non-initiating.*/
    pub async fn add_to(
        &self,
        value: f64,
    ) -> ::core::result::Result<(), ::indigo::__private::Error> {
        let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
            .operations[1usize];
        #[allow(unused_mut)]
        let mut body = self.runtime.body(op);
        ::indigo::__private::write_part(&mut body, "n", &value)?;
        self.runtime.send(op, body.finish()).await?;
        let value = ();
        ::core::result::Result::Ok(value)
    }
    /**

Operation `Equals` (action `http://tempuri.org/ICalculatorSession/Equals`), non-initiating, terminating: ends the session.*/
    pub async fn equals(
        self,
    ) -> ::core::result::Result<f64, ::indigo::__private::Error> {
        let outcome: ::core::result::Result<f64, ::indigo::__private::Error> = async {
            let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
                .operations[2usize];
            #[allow(unused_mut)]
            let mut body = self.runtime.body(op);
            let reply = self.runtime.request(op, body.finish()).await?;
            let value = self.runtime.read_result::<_>(op, reply, "EqualsResult")?;
            ::core::result::Result::Ok(value)
        }
            .await;
        match outcome {
            ::core::result::Result::Ok(value) => {
                self.runtime.close().await?;
                ::core::result::Result::Ok(value)
            }
            ::core::result::Result::Err(error) => {
                self.runtime.abort();
                ::core::result::Result::Err(error)
            }
        }
    }
    /**

Operation `Divide` (action `http://tempuri.org/ICalculatorSession/Divide`), non-initiating.*/
    pub async fn divide(
        &self,
        divisor: f64,
    ) -> ::core::result::Result<f64, ::indigo::__private::CallError<DivideByZero>> {
        let op = &<CalculatorSessionContract as ::indigo::__private::Contract>::DESCRIPTION
            .operations[3usize];
        #[allow(unused_mut)]
        let mut body = self.runtime.body(op);
        ::indigo::__private::write_part(&mut body, "divisor", &divisor)?;
        let reply = self.runtime.request(op, body.finish()).await?;
        let value = self
            .runtime
            .read_fallible_result::<_, DivideByZero>(op, reply, "DivideResult")?;
        ::core::result::Result::Ok(value)
    }
}
impl<State> CalculatorSessionClient<State> {
    fn from_runtime(runtime: ::indigo::__private::ClientRuntime) -> Self {
        CalculatorSessionClient {
            runtime,
            _state: ::core::marker::PhantomData,
        }
    }
    /// Used by a duplex service contract for its callback proxy; not public API.
    #[doc(hidden)]
    pub fn __from_runtime(runtime: ::indigo::__private::ClientRuntime) -> Self {
        CalculatorSessionClient {
            runtime,
            _state: ::core::marker::PhantomData,
        }
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
}
