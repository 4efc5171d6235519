// SPDX-License-Identifier: GPL-3.0
/*
    Copyright 2021 0KIMS association.

    This file is generated with [snarkJS](https://github.com/iden3/snarkjs).

    snarkJS is a free software: you can redistribute it and/or modify it
    under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.

    snarkJS is distributed in the hope that it will be useful, but WITHOUT
    ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
    or FITNESS FOR A PARTICULAR PURPOSE. See the GNU General Public
    License for more details.

    You should have received a copy of the GNU General Public License
    along with snarkJS. If not, see <https://www.gnu.org/licenses/>.
*/

pragma solidity >=0.7.0 <0.9.0;

contract Groth16Verifier {
    // Scalar field size
    uint256 constant r    = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    // Base field size
    uint256 constant q   = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    // Verification Key data
    uint256 constant alphax  = 6518223439256003749716267730486573141720464506679829024939250929497931098843;
    uint256 constant alphay  = 21539334093927843564872129415843045763373936130109388993441442379091563803052;
    uint256 constant betax1  = 16864602390713283060532377085400097125572766458044759823320672619381623213493;
    uint256 constant betax2  = 3852922458023881570740754211387320355145787474919322990340324883303553401338;
    uint256 constant betay1  = 20788685362115832939040981383407367087176861800553358051296136932885688748710;
    uint256 constant betay2  = 14403144700582190465690808835826793699589486572185755287475855737180323044985;
    uint256 constant gammax1 = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 constant gammax2 = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 constant gammay1 = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 constant gammay2 = 8495653923123431417604973247489272438418190587263600148770280649306958101930;
    uint256 constant deltax1 = 16141870651286432634219641832342432877031151286764133063939271574129732320972;
    uint256 constant deltax2 = 2773396277064972772262382654939265103941184504307872920919326021139678495443;
    uint256 constant deltay1 = 1995597745032150074123798456294341307506629212571600149397425207560373011264;
    uint256 constant deltay2 = 5853104135189239293114605171663944741237614870450500217819523460682000103960;

    
    uint256 constant IC0x = 12822120586599678402860186207600659450539109623225007588451442148226225446404;
    uint256 constant IC0y = 8384482460052288011002632895315714268673486006175050253601738832258577723967;
    
    uint256 constant IC1x = 15839807709331170668339057552767770679834229190582033449400956552522906167413;
    uint256 constant IC1y = 5097907611859178805625786938287696790412650452130962598457352216490667115844;
    
    uint256 constant IC2x = 10033862937198676263087381740085816549842318960112279839757458509072398673923;
    uint256 constant IC2y = 2699566336477951792811628361108859350085409306059754979597071001793393781103;
    
    uint256 constant IC3x = 3780599921105152804953921481786788051535369783282643966475586040345309151056;
    uint256 constant IC3y = 11733483366586900780862359202933600282621078525110781594186686298003987306475;
    
    uint256 constant IC4x = 19469881345039588034420288208227222351200202389336430308214240440945174047974;
    uint256 constant IC4y = 12273932442693315083623335810163749516051205767795811249716890742554687519003;
    
    uint256 constant IC5x = 7551814652928451078451325578546910954397902351211599775461479610464613374858;
    uint256 constant IC5y = 1325305139674045634435204604756678324603681602787264173842110786126784999025;
    
    uint256 constant IC6x = 2645769592001597176542142779192796685603960189601920080962510038964948907157;
    uint256 constant IC6y = 9099245090759914581684860997654771041942959174706844181988839732249005272851;
    
    uint256 constant IC7x = 9570523802864235321110399536811530373671068128626115405926341937770981225358;
    uint256 constant IC7y = 7258514452772031528871000606667439373871776655356518437311675446716285166408;
    
    uint256 constant IC8x = 12548989914406706794983521482397356562465127298235023206248601448290230739611;
    uint256 constant IC8y = 421988091566638330879820038858815395547082921241315530768124529065929610956;
    
    uint256 constant IC9x = 20923971555638431758612036974354098377863347185037603162093923939007895192927;
    uint256 constant IC9y = 13786833638002156299907439388347622123380361192038691905777868525182905432025;
    
    uint256 constant IC10x = 10247081237541247748038912520907372558770469253605572584174112992218075582667;
    uint256 constant IC10y = 6860421983916260074601496867418194427499458090636701745853417272045075814534;
    
 
    // Memory data
    uint16 constant pVk = 0;
    uint16 constant pPairing = 128;

    uint16 constant pLastMem = 896;

    function verifyProof(uint[2] calldata _pA, uint[2][2] calldata _pB, uint[2] calldata _pC, uint[10] calldata _pubSignals) public view returns (bool) {
        assembly {
            function checkField(v) {
                if iszero(lt(v, r)) {
                    mstore(0, 0)
                    return(0, 0x20)
                }
            }
            
            // G1 function to multiply a G1 value(x,y) to value in an address
            function g1_mulAccC(pR, x, y, s) {
                let success
                let mIn := mload(0x40)
                mstore(mIn, x)
                mstore(add(mIn, 32), y)
                mstore(add(mIn, 64), s)

                success := staticcall(sub(gas(), 2000), 7, mIn, 96, mIn, 64)

                if iszero(success) {
                    mstore(0, 0)
                    return(0, 0x20)
                }

                mstore(add(mIn, 64), mload(pR))
                mstore(add(mIn, 96), mload(add(pR, 32)))

                success := staticcall(sub(gas(), 2000), 6, mIn, 128, pR, 64)

                if iszero(success) {
                    mstore(0, 0)
                    return(0, 0x20)
                }
            }

            function checkPairing(pA, pB, pC, pubSignals, pMem) -> isOk {
                let _pPairing := add(pMem, pPairing)
                let _pVk := add(pMem, pVk)

                mstore(_pVk, IC0x)
                mstore(add(_pVk, 32), IC0y)

                // Compute the linear combination vk_x
                
                g1_mulAccC(_pVk, IC1x, IC1y, calldataload(add(pubSignals, 0)))
                
                g1_mulAccC(_pVk, IC2x, IC2y, calldataload(add(pubSignals, 32)))
                
                g1_mulAccC(_pVk, IC3x, IC3y, calldataload(add(pubSignals, 64)))
                
                g1_mulAccC(_pVk, IC4x, IC4y, calldataload(add(pubSignals, 96)))
                
                g1_mulAccC(_pVk, IC5x, IC5y, calldataload(add(pubSignals, 128)))
                
                g1_mulAccC(_pVk, IC6x, IC6y, calldataload(add(pubSignals, 160)))
                
                g1_mulAccC(_pVk, IC7x, IC7y, calldataload(add(pubSignals, 192)))
                
                g1_mulAccC(_pVk, IC8x, IC8y, calldataload(add(pubSignals, 224)))
                
                g1_mulAccC(_pVk, IC9x, IC9y, calldataload(add(pubSignals, 256)))
                
                g1_mulAccC(_pVk, IC10x, IC10y, calldataload(add(pubSignals, 288)))
                

                // -A
                mstore(_pPairing, calldataload(pA))
                mstore(add(_pPairing, 32), mod(sub(q, calldataload(add(pA, 32))), q))

                // B
                mstore(add(_pPairing, 64), calldataload(pB))
                mstore(add(_pPairing, 96), calldataload(add(pB, 32)))
                mstore(add(_pPairing, 128), calldataload(add(pB, 64)))
                mstore(add(_pPairing, 160), calldataload(add(pB, 96)))

                // alpha1
                mstore(add(_pPairing, 192), alphax)
                mstore(add(_pPairing, 224), alphay)

                // beta2
                mstore(add(_pPairing, 256), betax1)
                mstore(add(_pPairing, 288), betax2)
                mstore(add(_pPairing, 320), betay1)
                mstore(add(_pPairing, 352), betay2)

                // vk_x
                mstore(add(_pPairing, 384), mload(add(pMem, pVk)))
                mstore(add(_pPairing, 416), mload(add(pMem, add(pVk, 32))))


                // gamma2
                mstore(add(_pPairing, 448), gammax1)
                mstore(add(_pPairing, 480), gammax2)
                mstore(add(_pPairing, 512), gammay1)
                mstore(add(_pPairing, 544), gammay2)

                // C
                mstore(add(_pPairing, 576), calldataload(pC))
                mstore(add(_pPairing, 608), calldataload(add(pC, 32)))

                // delta2
                mstore(add(_pPairing, 640), deltax1)
                mstore(add(_pPairing, 672), deltax2)
                mstore(add(_pPairing, 704), deltay1)
                mstore(add(_pPairing, 736), deltay2)


                let success := staticcall(sub(gas(), 2000), 8, _pPairing, 768, _pPairing, 0x20)

                isOk := and(success, mload(_pPairing))
            }

            let pMem := mload(0x40)
            mstore(0x40, add(pMem, pLastMem))

            // Validate that all evaluations ∈ F
            
            checkField(calldataload(add(_pubSignals, 0)))
            
            checkField(calldataload(add(_pubSignals, 32)))
            
            checkField(calldataload(add(_pubSignals, 64)))
            
            checkField(calldataload(add(_pubSignals, 96)))
            
            checkField(calldataload(add(_pubSignals, 128)))
            
            checkField(calldataload(add(_pubSignals, 160)))
            
            checkField(calldataload(add(_pubSignals, 192)))
            
            checkField(calldataload(add(_pubSignals, 224)))
            
            checkField(calldataload(add(_pubSignals, 256)))
            
            checkField(calldataload(add(_pubSignals, 288)))
            

            // Validate all evaluations
            let isValid := checkPairing(_pA, _pB, _pC, _pubSignals, pMem)

            mstore(0, isValid)
             return(0, 0x20)
         }
     }
 }
