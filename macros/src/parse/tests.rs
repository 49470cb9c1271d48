use super::*;
use syn::parse_quote;

fn parse(attr: TokenStream, item: ItemTrait) -> syn::Result<Contract> {
    contract(attr, &item)
}

#[test]
fn calculator() {
    let contract = parse(
        quote!(name = "ICalculator", namespace = "http://example.org/", session = Required),
        parse_quote! {
            /// A calculator.
            pub trait Calculator {
                /// Clears.
                #[operation(initiating)]
                async fn clear(&mut self);
                #[operation(one_way, initiating = false)]
                async fn add_to(&mut self, #[param(name = "n")] value: f64, first_value: i32);
                #[operation(initiating = false, terminating, name = "Equals", action = "urn:x", reply_action = "urn:y")]
                async fn equals(&mut self) -> f64;
                #[indigo::operation]
                async fn divide(&self, a: f64, b: f64) -> Result<f64, indigo::Fault<DivideByZero>>;
                #[operation]
                async fn check(&self) -> Result<(), Fault<Bad>>;
                #[operation]
                async fn r#type(&self) -> ();
            }
        },
    )
    .unwrap();
    assert_eq!(contract.name.value, "ICalculator");
    assert!(contract.name.explicit);
    assert_eq!(contract.namespace.value, "http://example.org/");
    assert_eq!(
        contract.data_namespace.value,
        "http://schemas.datacontract.org/2004/07/"
    );
    assert!(!contract.data_namespace.explicit);
    assert_eq!(contract.session.value, SessionMode::Required);
    assert_eq!(contract.attrs.len(), 1);
    let ops = &contract.operations;
    assert_eq!(ops.len(), 6);

    assert_eq!(ops[0].name.value, "Clear");
    assert!(!ops[0].name.explicit);
    assert_eq!(ops[0].attrs.len(), 1);
    assert_eq!(ops[0].action.value, "http://example.org/ICalculator/Clear");
    assert_eq!(
        ops[0].reply_action.value,
        "http://example.org/ICalculator/ClearResponse"
    );
    assert!(ops[0].initiating.value && ops[0].initiating.explicit);
    assert_eq!(ops[0].receiver, Receiver::Exclusive);
    assert!(matches!(ops[0].output, Output::Unit));

    assert_eq!(ops[1].name.value, "AddTo");
    assert!(ops[1].one_way.value);
    assert!(!ops[1].initiating.value);
    assert!(!ops[1].terminating.value && !ops[1].terminating.explicit);
    assert_eq!(ops[1].params.len(), 2);
    assert_eq!(ops[1].params[0].wire_name.value, "n");
    assert!(ops[1].params[0].wire_name.explicit);
    assert_eq!(ops[1].params[1].wire_name.value, "firstValue");
    assert!(!ops[1].params[1].wire_name.explicit);

    assert_eq!(ops[2].name.value, "Equals");
    assert_eq!(ops[2].action.value, "urn:x");
    assert_eq!(ops[2].reply_action.value, "urn:y");
    assert!(ops[2].terminating.value);
    assert!(matches!(ops[2].output, Output::Value(_)));

    assert_eq!(ops[3].receiver, Receiver::Shared);
    match &ops[3].output {
        Output::Fallible {
            ok, detail_name, ..
        } => {
            assert!(ok.is_some());
            assert_eq!(detail_name.as_deref(), Some("DivideByZero"));
        }
        other => panic!("{other:?}"),
    }
    match &ops[4].output {
        Output::Fallible {
            ok, detail_name, ..
        } => {
            assert!(ok.is_none());
            assert_eq!(detail_name.as_deref(), Some("Bad"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ops[5].name.value, "Type");
    assert!(matches!(ops[5].output, Output::Unit));
}

#[test]
fn defaults() {
    let contract = parse(
        TokenStream::new(),
        parse_quote! {
            trait Echo {
                #[operation]
                async fn echo(&self, text: String) -> String;
            }
        },
    )
    .unwrap();
    assert_eq!(contract.name.value, "Echo");
    assert_eq!(contract.namespace.value, "http://tempuri.org/");
    assert_eq!(contract.session.value, SessionMode::Allowed);
    assert!(!contract.session.explicit);
    let op = &contract.operations[0];
    assert_eq!(op.action.value, "http://tempuri.org/Echo/Echo");
    assert_eq!(
        op.reply_action.value,
        "http://tempuri.org/Echo/EchoResponse"
    );
    assert!(op.initiating.value && !op.initiating.explicit);
    assert!(!op.one_way.value);
}

#[test]
fn session_path_forms_and_namespaces() {
    for (attr, mode) in [
        (
            quote!(session = SessionMode::NotAllowed),
            SessionMode::NotAllowed,
        ),
        (
            quote!(session = indigo::SessionMode::Required),
            SessionMode::Required,
        ),
        (quote!(session = Allowed), SessionMode::Allowed),
    ] {
        let contract = parse(
            attr,
            parse_quote!(
                trait T {}
            ),
        )
        .unwrap();
        assert_eq!(contract.session.value, mode);
    }
    let contract = parse(
        quote!(namespace = "urn:calc", name = "C"),
        parse_quote!(
            trait T {
                #[operation]
                async fn add_to(&self);
            }
        ),
    )
    .unwrap();
    assert_eq!(contract.operations[0].action.value, "urn:calc/C/AddTo");
    let contract = parse(
        quote!(namespace = ""),
        parse_quote!(
            trait T {
                #[operation(action = "a")]
                async fn add_to(&self);
            }
        ),
    )
    .unwrap();
    assert_eq!(contract.operations[0].action.value, "a");
    assert_eq!(contract.operations[0].reply_action.value, "aResponse");
}

fn messages(attr: TokenStream, item: ItemTrait) -> Vec<String> {
    match parse(attr, item) {
        Ok(_) => Vec::new(),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn errors_are_collected() {
    let found = messages(
        quote!(sesion = Required, name = 5),
        parse_quote! {
            trait T {
                #[operation(initating, one_way = 1, name = "A", name = "B")]
                fn a(self, (x, y): (i32, i32), f: impl Fn());
                async fn b(&self);
                const C: u8;
            }
        },
    );
    let expected = [
        "unknown key `sesion` in #[service_contract]; did you mean `session`?",
        "`name` takes a string literal",
        "unknown key `initating` in #[operation]; did you mean `initiating`?",
        "`name` is set twice in #[operation]",
        "`one_way` takes a bool",
        "must be an `async fn`",
        "operations cannot take `self` by value",
        "patterns aren't allowed",
        "`impl Trait` isn't allowed",
        "every method of a service contract must be an #[operation]",
        "a service contract can only contain #[operation] methods",
    ];
    for part in expected {
        assert!(
            found.iter().any(|message| message.contains(part)),
            "missing {part:?} in {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
}

#[test]
fn key_in_the_wrong_attribute() {
    let found = messages(
        quote!(one_way),
        parse_quote!(
            trait T {
                #[operation(session = Required)]
                async fn a(&self);
            }
        ),
    );
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].contains("`one_way` belongs in #[operation]"));
    assert!(found[1].contains("`session` belongs in #[service_contract]"));
}

#[test]
fn strip_removes_only_ours() {
    let mut item: ItemTrait = parse_quote! {
        trait T {
            /// doc
            #[operation(one_way)]
            #[cfg(all())]
            async fn a(&self, #[param(name = "x")] #[indigo::param] y: i32);
            #[indigo::operation]
            async fn b(&self);
        }
    };
    strip_indigo_attributes(&mut item);
    let expected: ItemTrait = parse_quote! {
        trait T {
            /// doc
            #[cfg(all())]
            async fn a(&self, y: i32);
            async fn b(&self);
        }
    };
    assert_eq!(
        item.to_token_stream().to_string(),
        expected.to_token_stream().to_string()
    );
}
