//! Contracts and services shared by the runnable examples and the end-to-end tests.

pub mod calculator {
    //! The seed's calculator session: `Clear` starts a session, one-way operations accumulate,
    //! `Equals` returns the total and ends the session.

    /// A session-bound calculator, wire-compatible with this C# contract:
    ///
    /// ```csharp
    /// [ServiceContract(SessionMode = SessionMode.Required)]
    /// public interface ICalculatorSession {
    ///     [OperationContract(IsOneWay = false, IsInitiating = true, IsTerminating = false)]
    ///     void Clear();
    ///     [OperationContract(IsOneWay = true, IsInitiating = false, IsTerminating = false)]
    ///     void AddTo(double n);
    ///     // SubtractFrom, MultiplyBy, DivideBy alike
    ///     [OperationContract(IsInitiating = false, IsTerminating = true)]
    ///     double Equals();
    /// }
    /// ```
    #[indigo::service_contract(name = "ICalculatorSession", session = Required)]
    pub trait CalculatorSession {
        /// Starts a session with a total of zero.
        #[operation(initiating)]
        async fn clear(&mut self);

        /// Adds `n` to the total.
        #[operation(one_way, initiating = false)]
        async fn add_to(&mut self, n: f64);

        /// Subtracts `n` from the total.
        #[operation(one_way, initiating = false)]
        async fn subtract_from(&mut self, n: f64);

        /// Multiplies the total by `n`.
        #[operation(one_way, initiating = false)]
        async fn multiply_by(&mut self, n: f64);

        /// Divides the total by `n`.
        #[operation(one_way, initiating = false)]
        async fn divide_by(&mut self, n: f64);

        /// Returns the total and ends the session.
        #[operation(initiating = false, terminating)]
        async fn equals(&mut self) -> f64;
    }

    /// The service: one running total per session.
    #[derive(Debug, Default)]
    pub struct Calculator {
        total: f64,
    }

    impl CalculatorSession for Calculator {
        async fn clear(&mut self) {
            self.total = 0.0;
        }

        async fn add_to(&mut self, n: f64) {
            self.total += n;
        }

        async fn subtract_from(&mut self, n: f64) {
            self.total -= n;
        }

        async fn multiply_by(&mut self, n: f64) {
            self.total *= n;
        }

        async fn divide_by(&mut self, n: f64) {
            self.total /= n;
        }

        async fn equals(&mut self) -> f64 {
            self.total
        }
    }
}
