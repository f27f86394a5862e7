import Foundation

/// Checks a serialized model before XGBoost reads it.
///
/// XGBoost refuses most malformed input with an error, but it trusts the structure of a model
/// that parses: a child index out of range or a cycle among the nodes would make prediction read
/// out of bounds or never end, and bytes that are not JSON go to its legacy binary reader. So a
/// model must be a JSON XGBoost model of a `binary:logistic` `gbtree` whose every tree is a proper
/// binary tree over the model's features; anything else is `BoostingError.corruptModel`.
enum ModelValidation {
    /// The number of features of the model in `bytes`.
    /// - Complexity: O(size of the model).
    static func featureCount(ofSerialized bytes: [UInt8]) throws -> Int {
        guard !bytes.isEmpty else { throw BoostingError.corruptModel("the model is empty") }
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            throw BoostingError.corruptModel("the model is not valid JSON (\(bytes.count) bytes; truncated or damaged?)")
        }
        let model = try object(root, "the model")
        let learner = try object(model["learner"], "learner")
        let objective = try object(learner["objective"], "learner.objective")
        let objectiveName = try string(objective["name"], "learner.objective.name")
        guard objectiveName == "binary:logistic" else {
            throw BoostingError.corruptModel("the objective is \(objectiveName), not binary:logistic")
        }
        let parameters = try object(learner["learner_model_param"], "learner.learner_model_param")
        let featureCount = try integer(parameters["num_feature"], "learner_model_param.num_feature")
        guard featureCount >= 1 else { throw BoostingError.corruptModel("the model has \(featureCount) features") }
        let classes = try integer(parameters["num_class"], "learner_model_param.num_class")
        guard classes <= 1 else { throw BoostingError.corruptModel("the model has \(classes) classes, not one output") }
        if let targets = parameters["num_target"] {
            let count = try integer(targets, "learner_model_param.num_target")
            guard count == 1 else { throw BoostingError.corruptModel("the model has \(count) targets, not one") }
        }
        let baseScore = try string(parameters["base_score"], "learner_model_param.base_score")
        guard let base = Double(baseScore), base.isFinite else {
            throw BoostingError.corruptModel("base_score \(baseScore) is not a finite number")
        }

        let booster = try object(learner["gradient_booster"], "learner.gradient_booster")
        let boosterName = try string(booster["name"], "gradient_booster.name")
        guard boosterName == "gbtree" else { throw BoostingError.corruptModel("the booster is \(boosterName), not gbtree") }
        let ensemble = try object(booster["model"], "gradient_booster.model")
        let trees = try array(ensemble["trees"], "gradient_booster.model.trees")
        let treeParameters = try object(ensemble["gbtree_model_param"], "gbtree_model_param")
        let declared = try integer(treeParameters["num_trees"], "gbtree_model_param.num_trees")
        guard declared == trees.count else {
            throw BoostingError.corruptModel("the model declares \(declared) trees but holds \(trees.count)")
        }
        let parallelTrees = try integer(treeParameters["num_parallel_tree"] ?? "1", "gbtree_model_param.num_parallel_tree")
        guard parallelTrees >= 1, trees.count % parallelTrees == 0 else {
            throw BoostingError.corruptModel("\(trees.count) trees do not make rounds of \(parallelTrees) parallel trees")
        }
        try requireScalarLeaves(treeParameters, "gbtree_model_param")
        let treeInfo = try array(ensemble["tree_info"], "gradient_booster.model.tree_info")
        guard treeInfo.count == trees.count, treeInfo.allSatisfy({ ($0 as? NSNumber)?.intValue == 0 }) else {
            throw BoostingError.corruptModel("tree_info does not assign each of the \(trees.count) trees to the one output")
        }
        for (index, tree) in trees.enumerated() {
            try validateTree(try object(tree, "tree \(index)"), index: index, featureCount: featureCount)
        }
        return featureCount
    }

    /// Checks that the nodes reachable from the root form a binary tree whose splits use features
    /// `0..<featureCount`, with every per-node array as long as the tree's node count.
    private static func validateTree(_ tree: [String: Any], index: Int, featureCount: Int) throws {
        let name = "tree \(index)"
        let parameters = try object(tree["tree_param"], "\(name).tree_param")
        let nodeCount = try integer(parameters["num_nodes"], "\(name).tree_param.num_nodes")
        guard nodeCount >= 1 else { throw BoostingError.corruptModel("\(name) has \(nodeCount) nodes") }
        try requireScalarLeaves(parameters, "\(name).tree_param")
        func column(_ key: String) throws -> [NSNumber] {
            let values = try array(tree[key], "\(name).\(key)")
            guard values.count == nodeCount else {
                throw BoostingError.corruptModel("\(name).\(key) has \(values.count) entries for \(nodeCount) nodes")
            }
            return try values.map { value in
                guard let number = value as? NSNumber else {
                    throw BoostingError.corruptModel("\(name).\(key) holds a value that is not a number")
                }
                return number
            }
        }
        let left = try column("left_children"), right = try column("right_children")
        let splitIndices = try column("split_indices"), conditions = try column("split_conditions")
        _ = try column("default_left")
        _ = try column("base_weights")
        if tree["split_type"] != nil {
            let types = try column("split_type")
            guard types.allSatisfy({ $0.intValue == 0 }) else {
                throw BoostingError.corruptModel("\(name) has categorical splits, which this module does not use")
            }
        }
        // Walk from the root: every reachable node is reached once, children lie in range.
        var visited = [Bool](repeating: false, count: nodeCount)
        var stack = [0]
        visited[0] = true
        while let node = stack.popLast() {
            guard conditions[node].doubleValue.isFinite else {
                throw BoostingError.corruptModel("\(name) node \(node) has a non-finite split condition or leaf value")
            }
            let l = left[node].intValue, r = right[node].intValue
            if l == -1 { continue }  // a leaf
            guard (1..<nodeCount).contains(l), (1..<nodeCount).contains(r), l != r else {
                throw BoostingError.corruptModel("\(name) node \(node) has children \(l) and \(r) outside 1..<\(nodeCount)")
            }
            guard !visited[l], !visited[r] else {
                throw BoostingError.corruptModel("\(name) node \(node) points back to a node already in the tree")
            }
            let feature = splitIndices[node].intValue
            guard (0..<featureCount).contains(feature) else {
                throw BoostingError.corruptModel("\(name) node \(node) splits on feature \(feature) of \(featureCount)")
            }
            visited[l] = true
            visited[r] = true
            stack.append(l)
            stack.append(r)
        }
    }

    /// Throws unless `size_leaf_vector` is absent or 0 (one value per leaf).
    private static func requireScalarLeaves(_ parameters: [String: Any], _ what: String) throws {
        if let size = parameters["size_leaf_vector"], try integer(size, "\(what).size_leaf_vector") != 0 {
            throw BoostingError.corruptModel("\(what).size_leaf_vector is not 0: the trees have vector leaves")
        }
    }

    private static func object(_ value: Any?, _ what: String) throws -> [String: Any] {
        guard let object = value as? [String: Any] else { throw BoostingError.corruptModel("\(what) is missing or not an object") }
        return object
    }

    private static func array(_ value: Any?, _ what: String) throws -> [Any] {
        guard let array = value as? [Any] else { throw BoostingError.corruptModel("\(what) is missing or not an array") }
        return array
    }

    private static func string(_ value: Any?, _ what: String) throws -> String {
        guard let string = value as? String else { throw BoostingError.corruptModel("\(what) is missing or not a string") }
        return string
    }

    /// An integer XGBoost writes as a decimal string ("num_feature": "12") or a number.
    private static func integer(_ value: Any?, _ what: String) throws -> Int {
        if let string = value as? String, let integer = Int(string) { return integer }
        if let number = value as? NSNumber, Double(number.intValue) == number.doubleValue { return number.intValue }
        throw BoostingError.corruptModel("\(what) is missing or not an integer")
    }
}
